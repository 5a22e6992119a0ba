"""Reviewers deciding, expiry and warnings, consuming an approval, recording the outcome."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError, PermissionRefused
from apps.alerts.models import Alert
from apps.audit.models import AuditEvent
from apps.governance import services
from apps.governance.models import ActionRequest, Approval

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_needed(publish, ask):
    publish([{"name": "two-people", "effect": "require_approval", "approvers": 2}])
    return ask()


def test_one_approval_allows_and_records_who_and_why(ask, reviewer):
    request = ask()
    decided = services.approval_decide(request=request, actor=reviewer, approve=True, comment="looks fine")
    assert (decided.status, decided.decision, decided.decided_by, decided.comment) == (
        "approved",
        "allow",
        reviewer,
        "looks fine",
    )
    events = AuditEvent.objects.filter(action_id=str(request.uuid)).order_by("seq")
    names = list(events.values_list("name", flat=True))
    assert names == ["action.escalated", "approval.approved"]


def test_a_rejection_needs_a_comment_and_denies(ask, reviewer):
    request = ask()
    with pytest.raises(ApplicationError) as caught:
        services.approval_decide(request=request, actor=reviewer, approve=False, comment="  ")
    assert caught.value.field == "comment"
    assert not Approval.objects.exists()
    decided = services.approval_decide(
        request=request, actor=reviewer, approve=False, comment="not during the freeze"
    )
    assert (decided.status, decided.decision) == ("rejected", "deny")
    assert "not during the freeze" in decided.reason


def test_n_of_m_needs_n_distinct_people(two_needed, reviewers):
    first = services.approval_decide(request=two_needed, actor=reviewers[0], approve=True)
    assert first.status == "pending"
    with pytest.raises(ConflictError, match="a person counts once"):
        services.approval_decide(request=two_needed, actor=reviewers[0], approve=True)
    second = services.approval_decide(request=two_needed, actor=reviewers[1], approve=True)
    assert (second.status, second.decision) == ("approved", "allow")
    assert Approval.objects.filter(request=two_needed).count() == 2
    with pytest.raises(ConflictError, match="already approved"):
        services.approval_decide(request=two_needed, actor=reviewers[2], approve=True)


def test_one_rejection_ends_an_n_of_m_request(two_needed, reviewers):
    services.approval_decide(request=two_needed, actor=reviewers[0], approve=True)
    decided = services.approval_decide(request=two_needed, actor=reviewers[1], approve=False, comment="no")
    assert decided.status == "rejected"


def test_reviewer_cannot_approve_own_agents_action_when_two_are_needed(two_needed, agent, reviewers):
    agent.owner = reviewers[0]
    agent.save()
    with pytest.raises(PermissionRefused, match="four-eyes: you own deploy-bot"):
        services.approval_decide(request=two_needed, actor=reviewers[0], approve=True)
    # Rejecting one's own agent's action is always allowed.
    assert (
        services.approval_decide(request=two_needed, actor=reviewers[0], approve=False, comment="no").status
        == "rejected"
    )


def test_an_owner_may_approve_when_one_approval_is_enough(ask, agent, reviewer):
    agent.owner = reviewer
    agent.save()
    assert services.approval_decide(request=ask(), actor=reviewer, approve=True).status == "approved"


@pytest.mark.parametrize("role", ["viewer", "admin", "auditor"])
def test_only_reviewers_decide(ask, make_user, role):
    with pytest.raises(PermissionRefused):
        services.approval_decide(request=ask(), actor=make_user(role), approve=True)


def test_an_allowed_or_expired_request_cannot_be_approved(ask, reviewer, publish):
    request = ask()
    ActionRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ConflictError, match="expired"):
        services.approval_decide(request=request, actor=reviewer, approve=True)
    publish([{"name": "ok", "effect": "allow"}])
    with pytest.raises(ConflictError, match="already allowed"):
        services.approval_decide(request=ask(), actor=reviewer, approve=True)


def test_expiry_denies_with_reason_expired_once(ask, mailoutbox):
    request = ask()
    later = timezone.now() + timedelta(hours=2)
    assert services.requests_expire_due(now=later) == 1
    assert services.requests_expire_due(now=later) == 0  # a duplicate tick does nothing
    request.refresh_from_db()
    assert (request.status, request.decision, request.reason) == ("expired", "deny", "expired")
    assert AuditEvent.objects.filter(action_id=str(request.uuid), name="approval.expired").count() == 1


def test_requests_not_yet_due_are_left_alone(ask):
    ask()
    assert services.requests_expire_due() == 0


def test_reviewers_are_warned_once_before_expiry_with_an_alert_resolved_on_decision(
    ask, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    request = ask()
    soon = request.expires_at - timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requests_warn_due(now=soon) == 1
        assert services.requests_warn_due(now=soon) == 0
    assert [m.subject.startswith("[agentgov] Expiring soon") for m in mailoutbox] == [True]
    alert = Alert.objects.get(fingerprint=f"approval_waiting:{request.uuid}")
    assert (alert.kind, alert.state) == ("approval_waiting", "firing")
    services.approval_decide(request=request, actor=reviewer, approve=True)
    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_an_approval_covers_exactly_the_same_action_once(ask, agent, reviewer):
    request = services.action_request(actor=agent, action="deploy", resource="service:a", params={"sha": "1"})
    services.approval_decide(request=request, actor=reviewer, approve=True)
    for bad, field in [
        ({"action": "rollback"}, "action"),
        ({"resource": "service:b"}, "resource"),
        ({"params": {"sha": "2"}}, "params"),
    ]:
        with pytest.raises(ApplicationError) as caught:
            services.approval_consume(
                request=request,
                actor=agent,
                **{"action": "deploy", "resource": "service:a", "params": {"sha": "1"}, **bad},
            )
        assert caught.value.field == field
    used = services.approval_consume(
        request=request, actor=agent, action="deploy", resource="service:a", params={"sha": "1"}
    )
    assert used.used_at is not None
    with pytest.raises(ConflictError, match="already used"):
        services.approval_consume(
            request=request, actor=agent, action="deploy", resource="service:a", params={"sha": "1"}
        )


def test_a_pending_request_has_no_approval_to_use(ask, agent):
    with pytest.raises(ConflictError, match="no approval to use"):
        services.approval_consume(
            request=ask(), actor=agent, action="deploy", resource="service:payments", params={}
        )


def test_the_outcome_is_recorded_once_and_linked_in_the_trail(ask, agent, reviewer):
    request = ask()
    services.approval_decide(request=request, actor=reviewer, approve=True)
    done = services.action_outcome_record(
        request=request, actor=agent, status="succeeded", output={"ok": 1}, duration_ms=12.5
    )
    assert (done.outcome_status, done.outcome_duration_ms) == ("succeeded", 12.5)
    assert done.used_at is not None  # reporting the outcome uses the approval
    event = AuditEvent.objects.get(action_id=str(request.uuid), type="action")
    assert (event.name, event.data["output"]) == ("deploy.succeeded", {"ok": 1})
    with pytest.raises(ConflictError, match="already recorded"):
        services.action_outcome_record(request=request, actor=agent, status="failed")


def test_no_outcome_for_what_was_not_allowed_or_for_another_agents_request(ask, agent, agent_factory):
    request = ask()
    with pytest.raises(ConflictError, match="not allowed"):
        services.action_outcome_record(request=request, actor=agent, status="succeeded")
    with pytest.raises(PermissionRefused):
        services.action_outcome_record(request=request, actor=agent_factory(), status="succeeded")
    with pytest.raises(ApplicationError) as caught:
        services.action_outcome_record(request=request, actor=agent, status="done")
    assert caught.value.field == "status"


def test_holds_are_released_by_their_author_or_a_reviewer(agent, reviewer, make_user, agent_factory):
    hold = services.hold_create(actor=agent, pattern="db:prod", reason="migrating")
    with pytest.raises(PermissionRefused):
        services.hold_release(hold=hold, actor=agent_factory())
    with pytest.raises(PermissionRefused):
        services.hold_release(hold=hold, actor=make_user("viewer"))
    released = services.hold_release(hold=hold, actor=reviewer, reason="done")
    assert (released.released_by, released.is_active) == (reviewer, False)
    with pytest.raises(ConflictError):
        services.hold_release(hold=hold, actor=agent)
    own = services.hold_create(actor=agent, pattern="db:prod", reason="again")
    assert services.hold_release(hold=own, actor=agent).released_by_agent == agent


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pattern": ""}, "pattern"),
        ({"pattern": "*"}, "pattern"),
        ({"reason": ""}, "reason"),
        ({"ends_at": "past"}, "ends_at"),
    ],
)
def test_holds_refuse_bad_input(reviewer, fields, field):
    if fields.get("ends_at") == "past":
        fields["ends_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ApplicationError) as caught:
        services.hold_create(actor=reviewer, **{"pattern": "db:*", "reason": "x", **fields})
    assert caught.value.field == field


def test_viewers_cannot_place_holds(make_user):
    with pytest.raises(PermissionRefused):
        services.hold_create(actor=make_user("viewer"), pattern="db:*", reason="x")


def test_a_rule_can_require_a_specific_approver_role(publish, ask, reviewer, make_user):
    publish([{"name": "admins-only", "effect": "require_approval", "approver_role": "admin"}])
    request = ask()
    with pytest.raises(PermissionRefused, match="holding the admin role"):
        services.approval_decide(request=request, actor=reviewer, approve=True)
    both = make_user("reviewer", "admin")
    assert services.approval_decide(request=request, actor=both, approve=True).status == "approved"


def test_a_paused_agent_cannot_place_holds(agent):
    agent.status = "paused"
    agent.save()
    with pytest.raises(PermissionRefused, match="paused"):
        services.hold_create(actor=agent, pattern="db:*", reason="x")


def test_time_left_is_shown_only_while_pending(ask, reviewer):
    request = ask()
    assert request.time_left > timedelta(minutes=59)
    assert services.approval_decide(request=request, actor=reviewer, approve=True).time_left is None

"""Deciding a request: lifecycle, limits, holds, policy, idempotency, audit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from apps.alerts.models import Alert
from apps.audit.models import AuditEvent
from apps.governance import services, tasks
from apps.governance.models import ActionRequest, RequestStatus
from apps.registry.models import AgentStatus
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_a_matching_allow_rule_allows_at_once_and_is_audited_with_the_action_id(agent, publish, ask):
    version = publish([{"name": "deploys-ok", "action": "deploy", "effect": "allow"}])
    request = services.action_request(
        actor=agent, action="deploy", resource="service:payments", params={"sha": "abc"}, trace_id="t-1"
    )
    assert (request.decision, request.status, request.rule) == ("allow", "allowed", "deploys-ok")
    assert request.policy_version == version.number
    event = AuditEvent.objects.get(action_id=str(request.uuid))
    assert (event.name, event.trace_id, event.agent_id) == ("action.allowed", "t-1", agent.pk)
    assert event.data["rule"] == "deploys-ok"


def test_a_deny_rule_denies_with_its_reason(agent, publish, ask):
    publish([{"name": "no-drops", "action": "db.drop", "effect": "deny", "reason": "never drop tables"}])
    request = ask("db.drop", "db:prod/users")
    assert (request.decision, request.reason) == ("deny", "never drop tables")
    assert AuditEvent.objects.get(action_id=str(request.uuid)).status == "denied"


def test_require_approval_waits_with_expiry_role_and_count(agent, publish, ask):
    publish([{"name": "big", "effect": "require_approval", "approvers": 2, "expires_in_minutes": 30}])
    request = ask()
    assert (request.decision, request.status, request.approvals_required) == ("pending", "pending", 2)
    assert timedelta(minutes=29) < request.expires_at - timezone.now() <= timedelta(minutes=30)


def test_the_tier_default_decides_when_no_rule_matches(agent, ask):
    request = ask()
    assert (request.decision, request.rule, request.policy_version) == ("pending", "tier-default:high", None)
    low = AgentFactory(slug="low-bot", risk_tier="low", status=AgentStatus.ACTIVE)
    assert ask(who=low).decision == "allow"


@pytest.mark.parametrize("status", [AgentStatus.PAUSED, AgentStatus.QUARANTINED, AgentStatus.RETIRED])
def test_a_paused_quarantined_or_retired_agent_is_denied_everything(agent, publish, ask, status):
    publish([{"name": "all-ok", "effect": "allow"}])
    agent.status = status
    agent.save()
    request = ask()
    assert (request.decision, request.rule) == ("deny", "lifecycle")
    assert status in request.reason and "deploy-bot" in request.reason


def _limits(agent, admin, **fields):
    return services.agent_limits_set(agent=agent, actor=admin, **fields)


def test_a_resource_outside_the_allowed_patterns_is_denied_naming_the_limit(agent, admin, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}])
    _limits(agent, admin, resource_patterns=["service:payments*", "github:acme/*"], over_limit="escalate")
    assert ask(resource="service:payments-eu").decision == "allow"
    request = ask(resource="db:prod")
    assert (request.decision, request.rule) == ("deny", "limit:resource_scope")
    assert "outside deploy-bot's allowed resources" in request.reason


@pytest.mark.parametrize(("mode", "decision"), [("deny", "deny"), ("escalate", "pending")])
def test_a_rate_limit_denies_or_escalates_past_n_per_window(agent, admin, publish, ask, mode, decision):
    publish([{"name": "all-ok", "effect": "allow"}])
    _limits(agent, admin, rate_limits=[{"action": "deploy*", "max": 2, "per": "minute"}], over_limit=mode)
    assert [ask("deploy").decision, ask("deploy-canary").decision] == ["allow", "allow"]
    assert ask("restart").decision == "allow"  # another action is not counted
    third = ask("deploy")
    assert (third.decision, third.rule) == (decision, "limit:rate")
    assert "at most 2 'deploy*' actions per minute" in third.reason


def test_requests_older_than_the_window_do_not_count(agent, admin, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}])
    _limits(agent, admin, rate_limits=[{"action": "*", "max": 1, "per": "hour"}])
    ActionRequest.objects.filter(pk=ask().pk).update(created_at=timezone.now() - timedelta(minutes=61))
    assert ask().decision == "allow"


@pytest.mark.parametrize(("mode", "decision"), [("deny", "deny"), ("escalate", "pending")])
def test_the_daily_budget_sums_the_named_params_and_names_the_limit(
    agent, admin, publish, ask, mode, decision
):
    publish([{"name": "all-ok", "effect": "allow"}])
    _limits(agent, admin, daily_budget=Decimal("100"), budget_fields=["amount", "fees.usd"], over_limit=mode)
    first = ask("refund", amount=60, fees={"usd": 10})
    assert (first.decision, first.spend) == ("allow", Decimal(70))
    over = ask("refund", amount=31)
    assert (over.decision, over.rule) == (decision, "limit:budget")
    assert "has spent 70.00 of 100.00 today" in over.reason
    # A denied request spends nothing; an escalated one reserves its spend while it waits.
    assert ask("refund", amount=30).decision == ("allow" if mode == "deny" else "pending")


def test_crossing_80_percent_of_the_budget_fires_a_budget_alert(agent, admin, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}])
    _limits(agent, admin, daily_budget=Decimal("100"))
    ask("refund", amount=50)
    assert not Alert.objects.filter(kind="budget").exists()
    ask("refund", cost_usd=35)
    alert = Alert.objects.get(fingerprint="budget:deploy-bot")
    assert (alert.kind, alert.state, alert.agent_id) == ("budget", "firing", agent.pk)


def test_denied_requests_do_not_spend_the_budget(agent, admin, publish, ask):
    publish([{"name": "no", "effect": "deny"}])
    _limits(agent, admin, daily_budget=Decimal("10"))
    ask("refund", amount=9)
    assert services.limits.spent_today(agent, timezone.now()) == 0


def test_rate_limits_and_the_budget_each_count_their_own_window(agent, admin, publish, ask):
    """They are counted in one query; each limit still sees only its own window and actions."""
    publish([{"name": "all-ok", "effect": "allow"}])
    _limits(
        agent,
        admin,
        rate_limits=[
            {"action": "refund", "max": 2, "per": "minute"},
            {"action": "*", "max": 4, "per": "hour"},
        ],
        daily_budget=Decimal("100"),
    )
    early = ask("refund", amount=10)
    ActionRequest.objects.filter(pk=early.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert [ask("refund", amount=10).decision, ask("refund", amount=75).decision] == ["allow", "allow"]
    over_budget = ask("restart", amount=20)
    assert (over_budget.decision, over_budget.rule) == ("deny", "limit:budget")
    third = ask("refund", amount=1)  # the 5-minute-old one is out of this minute, not the others
    assert (third.decision, third.rule) == ("deny", "limit:rate")
    assert "at most 2 'refund' actions per minute" in third.reason
    assert ask("restart").decision == "allow"  # 4th this hour: the denied ones do not count
    hourly = ask("restart")
    assert (hourly.decision, hourly.rule) == ("deny", "limit:rate")
    assert "at most 4 '*' actions per hour" in hourly.reason


def test_limits_refuse_bad_input_naming_the_field_and_write_nothing(agent, admin):
    with pytest.raises(ApplicationError) as caught:
        _limits(
            agent,
            admin,
            rate_limits=[
                {"action": "x", "max": 1, "per": "minute"},
                {"action": "y", "max": 0, "per": "hour"},
            ],
        )
    assert caught.value.field == "rate_limits[1].max"
    with pytest.raises(ApplicationError) as caught:
        _limits(agent, admin, over_limit="shrug")
    assert caught.value.field == "over_limit"
    assert not hasattr(agent, "limits") or agent.limits is None


def test_a_hold_by_a_person_escalates_other_agents_naming_hold_and_author(agent, reviewer, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}])
    hold = services.hold_create(actor=reviewer, pattern="service:pay*", reason="incident 42")
    request = ask()
    assert (request.decision, request.rule, request.approvals_required) == ("pending", f"hold:{hold.pk}", 1)
    assert "rita" in request.reason and "incident 42" in request.reason
    assert ask(resource="service:search").decision == "allow"


def test_a_hold_denies_when_the_policy_says_so(agent, reviewer, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}], holds="deny")
    services.hold_create(actor=reviewer, pattern="service:payments", reason="migration")
    assert ask().decision == "deny"


def test_an_agents_own_hold_does_not_stop_it_but_stops_others(agent, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}])
    services.hold_create(actor=agent, pattern="service:payments", reason="I am migrating it")
    assert ask().decision == "allow"
    other = AgentFactory(slug="other-bot", risk_tier="low", status=AgentStatus.ACTIVE)
    request = ask(who=other)
    assert request.decision == "pending" and "agent:deploy-bot" in request.reason


def test_released_and_ended_holds_no_longer_apply(agent, reviewer, publish, ask):
    publish([{"name": "all-ok", "effect": "allow"}])
    hold = services.hold_create(actor=reviewer, pattern="service:*", reason="x")
    services.hold_release(hold=hold, actor=reviewer)
    ended = services.hold_create(
        actor=reviewer, pattern="service:*", reason="y", ends_at=timezone.now() + timedelta(hours=1)
    )
    type(ended).objects.filter(pk=ended.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert ask().decision == "allow"


def test_a_policy_deny_beats_a_hold_escalation(agent, reviewer, publish, ask):
    publish([{"name": "never", "effect": "deny"}])
    services.hold_create(actor=reviewer, pattern="service:*", reason="x")
    assert (ask().decision, ask().rule) == ("deny", "never")


def test_escalation_keeps_the_policys_approval_count(agent, reviewer, publish, ask):
    publish([{"name": "two", "effect": "require_approval", "approvers": 2}])
    services.hold_create(actor=reviewer, pattern="service:*", reason="x")
    assert ask().approvals_required == 2


def test_an_idempotency_key_returns_the_existing_request(agent, publish):
    publish([{"name": "all-ok", "effect": "allow"}])
    kwargs = {
        "actor": agent,
        "action": "deploy",
        "resource": "service:a",
        "params": {"n": 1},
        "idempotency_key": "k1",
    }
    first = services.action_request(**kwargs)
    again = services.action_request(**kwargs)
    assert (again.pk, again.replayed, first.replayed) == (first.pk, True, False)
    assert ActionRequest.objects.count() == 1
    with pytest.raises(ConflictError) as caught:
        services.action_request(**{**kwargs, "params": {"n": 2}})
    assert caught.value.field == "idempotency_key"
    other = AgentFactory(status=AgentStatus.ACTIVE, risk_tier="low")
    assert services.action_request(**{**kwargs, "actor": other}).pk != first.pk  # unique per agent


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"action": ""}, "action"),
        ({"resource": "x" * 501}, "resource"),
        ({"params": [1, 2]}, "params"),
        ({"callback_url": "ftp://x"}, "callback_url"),
        ({"idempotency_key": "k" * 129}, "idempotency_key"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(agent, bad, field):
    with pytest.raises(ApplicationError) as caught:
        services.action_request(**{"actor": agent, "action": "deploy", "resource": "r", **bad})
    assert caught.value.field == field
    assert not ActionRequest.objects.exists() and not AuditEvent.objects.filter(action_id__gt="").exists()


def test_the_compiled_policy_is_cached_by_version_number(agent, publish, django_assert_max_num_queries):
    publish([{"name": "all-ok", "effect": "allow"}])
    services.policy_in_force()
    with django_assert_max_num_queries(1):
        policy = services.policy_in_force()
    assert policy.version == 1


def test_pending_requests_notify_reviewers_by_email(
    agent, reviewer, ask, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    # The task runs in this process, as the worker would run it.
    monkeypatch.setattr(tasks.notify_reviewers, "delay", lambda *args: tasks.notify_reviewers.apply(args))
    with django_capture_on_commit_callbacks(execute=True):
        request = ask()
    assert request.status == RequestStatus.PENDING
    assert [m.to for m in mailoutbox] == [["rita@example.com"]]
    assert "Approval needed: deploy-bot (high) asks to deploy on service:payments" in mailoutbox[0].subject
    assert f"/approvals/{request.uuid}/" in mailoutbox[0].body


def test_a_decision_costs_a_fixed_handful_of_queries(
    agent, admin, publish, ask, django_assert_max_num_queries
):
    """The request's transaction (2), limits with the policy number and the holds (one
    statement), the rate count, the insert, and the audit chain (lock, insert, head; no
    savepoint): 8, however many rules, holds or past requests there are."""
    publish([{"name": f"r{i}", "action": f"a{i}", "effect": "deny"} for i in range(100)])
    services.agent_limits_set(
        agent=agent,
        actor=admin,
        resource_patterns=["service:*"],
        rate_limits=[
            {"action": "*", "max": 99, "per": "hour"},
            {"action": "dep*", "max": 99, "per": "minute"},
        ],
        daily_budget=Decimal("1000000"),
    )
    services.hold_create(actor=admin, pattern="other:*", reason="not this resource")
    ask(amount=1)
    with django_assert_max_num_queries(8):  # every rate limit and the budget: one query
        ask(amount=1)

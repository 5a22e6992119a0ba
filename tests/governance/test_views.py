"""Approval pages through the Django test client: the queue (filters, live fragment, badge,
metrics), the review page, and deciding, per role. Policies, holds and limits pages are in
test_views_policies.py and test_views_holds_limits.py."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.ingest import events_ingest
from apps.governance import services
from apps.governance.models import ActionRequest, Approval, RequestStatus
from apps.registry.models import AgentStatus
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as(client, make_user):
    def login(*roles, user=None):
        client.force_login(user or make_user(*roles))
        return client

    return login


@pytest.fixture
def pending(agent):
    """A pending deploy of the high-risk deploy-bot (tier default: one approval)."""
    return services.action_request(
        actor=agent,
        action="deploy",
        resource="service:payments",
        params={"version": "2.4.1", "replicas": 3},
        rationale="Release 2.4.1 fixes the refund rounding bug.",
        trace_id="run-42",
    )


def review_url(request):
    return reverse("governance:review", args=[request.uuid])


def approve_url(request):
    return reverse("governance:approve", args=[request.uuid])


def reject_url(request):
    return reverse("governance:reject", args=[request.uuid])


# --- Who may look --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, pending):
    for url in (reverse("governance:queue"), review_url(pending)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_the_badge_tells_htmx_to_stop_polling_once_the_session_is_gone(client, client_as, pending):
    # A redirect to sign-in would be followed by htmx and swapped into the nav.
    for anybody in (client, client_as()):
        response = anybody.get(reverse("governance:pending_count"))
        assert response.status_code == 286 and response.content == b""


def test_people_without_a_role_may_not_see_the_queue(client_as, pending):
    client = client_as()
    assert client.get(reverse("governance:queue")).status_code == 403
    assert client.get(review_url(pending)).status_code == 403


def test_viewer_sees_the_queue_but_no_decision_forms(client_as, pending):
    client = client_as("viewer")
    queue = client.get(reverse("governance:queue"))
    assert queue.status_code == 200
    assert list(queue.context["page"].object_list) == [pending]
    page = queue.content.decode()
    for text in ("deploy-bot", "service:payments", "tier-default:high", "0 of 1", "Approval metrics"):
        assert text in page

    review = client.get(review_url(pending)).content.decode()
    assert "Release 2.4.1 fixes the refund rounding bug." in review
    assert 'action="' + approve_url(pending) + '"' not in review
    assert "Only reviewers decide approval requests." in review


def test_viewer_may_not_decide_and_nothing_is_written(client_as, pending):
    response = client_as("viewer").post(approve_url(pending), {"approve-comment": "fine"})
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING and not Approval.objects.exists()


# --- The queue -------------------------------------------------------------------------------


def test_queue_orders_by_time_left_and_filters_by_agent_tier_action_and_rule(client_as, agent, publish):
    publish(
        [
            {
                "name": "urgent-restarts",
                "action": "restart",
                "effect": "require_approval",
                "expires_in_minutes": 5,
            }
        ]
    )
    later = services.action_request(actor=agent, action="deploy", resource="service:a")
    sooner = services.action_request(actor=agent, action="restart", resource="service:a")
    other = AgentFactory(slug="ops-bot", risk_tier="critical", status=AgentStatus.ACTIVE)
    critical = services.action_request(actor=other, action="deploy", resource="service:b")
    client = client_as("viewer")

    def shown(**query):
        return list(client.get(reverse("governance:queue"), query).context["page"].object_list)

    assert shown() == [sooner, later, critical]
    assert shown(agent="ops-bot") == [critical]
    assert shown(tier="high") == [sooner, later]
    assert shown(action="rest") == [sooner]
    assert shown(rule="tier-default:critical") == [critical]
    assert (
        "No pending request matches these filters"
        in client.get(reverse("governance:queue"), {"agent": "nobody"}).content.decode()
    )


def test_a_bad_filter_shows_no_rows_and_says_why(client_as, pending):
    response = client_as("viewer").get(reverse("governance:queue"), {"tier": "extreme"})
    assert list(response.context["page"].object_list) == []
    assert "Select a valid choice" in response.content.decode()


def test_queue_hides_requests_past_their_expiry_like_the_badge(client_as, pending, agent):
    overdue = services.action_request(actor=agent, action="deploy", resource="service:late")
    ActionRequest.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_as("viewer").get(reverse("governance:queue"))
    assert list(response.context["page"].object_list) == [pending]
    assert response.context["pending_count"] == 1


def test_an_empty_queue_says_what_will_appear(client_as):
    page = client_as("viewer").get(reverse("governance:queue")).content.decode()
    assert "Nothing waits for a reviewer" in page


def test_htmx_polls_get_only_the_rows_and_the_badge_out_of_band(client_as, pending):
    response = client_as("viewer").get(reverse("governance:queue"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith("{#") is False and "<html" not in page
    assert 'id="queue-results"' in page and 'hx-trigger="every 5s"' in page
    assert 'id="pending-badge"' in page and 'hx-swap-oob="true"' in page and 'data-count="1"' in page
    assert "HX-Request" in response["Vary"]


def test_every_page_loads_the_pending_count_into_the_navigation(client_as, pending, agent):
    services.action_request(actor=agent, action="deploy", resource="service:other")
    client = client_as("viewer")
    page = client.get(reverse("registry:agent_list")).content.decode()
    # A placeholder that asks for the count once loaded, so no page pays for a count.
    assert 'id="pending-badge"' in page and 'hx-trigger="load, every 15s"' in page
    assert "data-count" not in page
    badge = client.get(reverse("governance:pending_count")).content.decode()
    assert 'data-count="2"' in badge and ">2<" in badge
    assert 'hx-trigger="every 15s"' in badge and "<nav" not in badge


def test_people_without_a_role_get_no_badge(client_as):
    page = client_as().get(reverse("overview")).content.decode()
    assert 'id="pending-badge"' not in page


def test_queue_shows_approval_metrics(client_as, agent, reviewers):
    first = services.action_request(actor=agent, action="deploy", resource="service:a")
    ActionRequest.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    services.approval_decide(request=first, actor=reviewers[0], approve=True)
    second = services.action_request(actor=agent, action="deploy", resource="service:b")
    services.approval_decide(request=second, actor=reviewers[1], approve=False, comment="not now")
    expired = services.action_request(actor=agent, action="deploy", resource="service:c")
    services.request_expire(request_id=expired.pk, now=expired.expires_at)

    response = client_as("viewer").get(reverse("governance:queue"))
    metrics = response.context["metrics"]
    assert (metrics.decided, metrics.expired) == (2, 1)
    assert response.context["p90"].startswith("10 min")
    page = response.content.decode()
    assert "reviewer0" in page and "reviewer1" in page and "90th percentile" in page
    assert response.context["recent"] == [expired, second, first]
    assert "not now" in page  # the rejection's comment, among the recently decided


# --- The review page -------------------------------------------------------------------------


def test_review_page_shows_params_trace_rule_holds_conflicts_history_and_similar(
    client_as, agent, publish, reviewer
):
    publish(
        [{"name": "prod-deploys", "action": "deploy", "resource": "service:*", "effect": "require_approval"}]
    )
    events_ingest(
        agent=agent,
        body={
            "type": "decision",
            "trace_id": "run-42",
            "name": "release.plan",
            "rationale": "Tests are green.",
        },
    )
    earlier = services.action_request(actor=agent, action="deploy", resource="service:payments")
    services.approval_decide(request=earlier, actor=reviewer, approve=False, comment="freeze week")
    rival_agent = AgentFactory(slug="rival-bot", risk_tier="high", status=AgentStatus.ACTIVE)
    services.action_request(actor=rival_agent, action="scale", resource="service:payments")
    services.hold_create(actor=reviewer, pattern="service:pay*", reason="incident 7 under way")
    request = services.action_request(
        actor=agent,
        action="deploy",
        resource="service:payments",
        params={"version": "2.4.1"},
        rationale="Release 2.4.1 fixes the refund rounding bug.",
        trace_id="run-42",
    )

    response = client_as("viewer").get(review_url(request))
    page = response.content.decode()
    assert response.status_code == 200
    assert "&quot;version&quot;: &quot;2.4.1&quot;" in page  # pretty JSON, escaped
    assert "Release 2.4.1 fixes the refund rounding bug." in page
    assert "release.plan" in page and "Tests are green." in page
    assert reverse("audit:trace_detail", args=["run-42"]) in page
    assert "hold:" in request.rule and "incident 7 under way" in page
    assert "rival-bot" in page
    assert "freeze week" in page  # this agent's history and similar requests
    assert reverse("governance:policy_version", args=[1]) in page


def test_review_page_shows_the_rule_definition_that_escalated(client_as, agent, publish):
    publish([{"name": "prod-deploys", "action": "deploy", "effect": "require_approval", "approvers": 2}])
    request = services.action_request(actor=agent, action="deploy", resource="service:x")
    page = client_as("viewer").get(review_url(request)).content.decode()
    assert "prod-deploys" in page and "approvers: 2" in page and "0 of 2" in page


def test_review_page_of_a_request_decided_on_arrival(client_as, agent, publish):
    publish([{"name": "reads", "action": "*.read", "effect": "allow"}])
    allowed = services.action_request(actor=agent, action="db.read", resource="db:x")
    page = client_as("reviewer").get(review_url(allowed)).content.decode()
    assert "the agent was told allow" in page and "By the policy, on arrival" in page
    assert approve_url(allowed) not in page


def test_unknown_request_is_404(client_as):
    assert client_as("viewer").get("/approvals/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- Deciding ----------------------------------------------------------------------------------


def test_reviewer_approves_and_the_page_says_who_and_when(client_as, reviewer, pending):
    client = client_as(user=reviewer)
    response = client.post(approve_url(pending), {"approve-comment": "Looks right"}, follow=True)
    pending.refresh_from_db()
    assert pending.status == RequestStatus.APPROVED and pending.decided_by == reviewer
    assert response.redirect_chain[-1][0] == review_url(pending)
    page = response.content.decode()
    assert "The agent is told allow." in page
    assert "By <strong>rita</strong>" in page and "Looks right" in page
    assert approve_url(pending) not in page  # decided: no more forms
    assert "Why it waits" not in page  # it no longer waits; the row gives the decision's reason
    assert "</time> ." not in page and "</time>." in page  # no stray space before the full stop


def test_a_rejection_needs_a_comment_and_nothing_is_written_without_one(client_as, reviewer, pending):
    response = client_as(user=reviewer).post(reject_url(pending), {"reject-comment": "  "})
    assert response.status_code == 400
    assert "a rejection needs a comment" in response.context["forms"]["reject"].errors["comment"][0]
    assert 'id="id_reject-comment_error1"' in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING and not Approval.objects.exists()


def test_reviewer_rejects_with_a_comment(client_as, reviewer, pending):
    client_as(user=reviewer).post(reject_url(pending), {"reject-comment": "Not during the freeze"})
    pending.refresh_from_db()
    assert pending.status == RequestStatus.REJECTED and pending.comment == "Not during the freeze"


def test_four_eyes_refusal_is_a_form_error(client_as, make_user):
    owner = make_user("reviewer", username="owen")
    agent = AgentFactory(slug="crit-bot", risk_tier="critical", status=AgentStatus.ACTIVE, owner=owner)
    request = services.action_request(actor=agent, action="deploy", resource="service:core")
    response = client_as(user=owner).post(approve_url(request), {"approve-comment": ""})
    assert response.status_code == 400
    assert "four-eyes" in response.content.decode()
    assert not Approval.objects.exists()


def test_two_approvals_needed_the_first_one_waits_for_another_person(client_as, reviewers):
    agent = AgentFactory(slug="crit-bot", risk_tier="critical", status=AgentStatus.ACTIVE)
    request = services.action_request(actor=agent, action="deploy", resource="service:core")
    response = client_as(user=reviewers[0]).post(approve_url(request), {}, follow=True)
    page = response.content.decode()
    assert "Your approval is recorded (1 of 2)" in page and "1 of 2" in page
    assert "reviewer0" in page
    again = client_as(user=reviewers[0]).post(approve_url(request), {})
    assert again.status_code == 400 and "a person counts once" in again.content.decode()


def test_deciding_an_already_decided_request_is_refused(client_as, reviewers, pending):
    services.approval_decide(request=pending, actor=reviewers[0], approve=True)
    response = client_as(user=reviewers[1]).post(reject_url(pending), {"reject-comment": "no"})
    assert response.status_code == 400
    assert "this request is already approved" in response.content.decode()
    assert Approval.objects.count() == 1


def test_deciding_an_expired_request_is_refused(client_as, reviewer, pending):
    ActionRequest.objects.filter(pk=pending.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_as(user=reviewer).post(approve_url(pending), {})
    assert response.status_code == 400
    assert "this request has expired" in response.content.decode()
    assert not Approval.objects.exists()


def test_deciding_needs_post(client_as, reviewer, pending):
    assert client_as(user=reviewer).get(approve_url(pending)).status_code == 405

"""The governance API: agents ask and wait with their key; staff decide with their session."""

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.governance import services
from apps.governance.models import ActionRequest, ResourceHold
from apps.registry import services as registry
from apps.registry.models import AgentStatus
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db
ACTIONS = "/api/v1/actions/"


def agent_client(agent) -> APIClient:
    _, raw_key = registry.agent_key_create(agent=agent, actor=agent.owner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def bot(agent):
    return agent_client(agent)


def ask(client, **body):
    return client.post(ACTIONS, {"action": "deploy", "resource": "service:payments", **body}, format="json")


def test_post_decides_and_answers_201_with_the_decision(bot, publish):
    version = publish([{"name": "deploys-ok", "action": "deploy", "effect": "allow"}])
    response = ask(bot, params={"sha": "abc"}, rationale="ship the fix", trace_id="t1", span_id="s1")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["decision"], body["rule"], body["policy_version"]) == ("allow", "deploys-ok", version.number)
    assert body["review_url"].startswith("http://testserver/") and body["id"] in body["review_url"]
    assert set(body) >= {"id", "decision", "reason", "rule", "policy_version", "expires_at", "review_url"}


def test_a_pending_decision_carries_its_expiry(bot):
    body = ask(bot).json()
    assert body["decision"] == "pending" and body["expires_at"]


def test_the_idempotency_key_replays_with_200(bot):
    first = ask(bot, idempotency_key="abc")
    again = ask(bot, idempotency_key="abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    conflict = ask(bot, idempotency_key="abc", params={"other": 1})
    assert (conflict.status_code, conflict.json()["field"]) == (409, "idempotency_key")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": ""}, "action"),
        ({"resource": None}, "resource"),
        ({"params": "x"}, "params"),
        ({"callback_url": "not a url"}, "callback_url"),
        ({"colour": "red"}, "colour"),
        ({"trace_id": "t" * 65}, "trace_id"),
    ],
)
def test_bad_input_is_a_field_level_400_and_nothing_is_written(bot, body, field):
    response = ask(bot, **body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not ActionRequest.objects.exists()


@pytest.mark.parametrize("status", [AgentStatus.PAUSED, AgentStatus.QUARANTINED])
def test_a_paused_or_quarantined_agent_is_told_deny_with_the_reason(agent, bot, status):
    agent.status = status
    agent.save()
    body = ask(bot).json()
    assert (body["decision"], body["rule"]) == ("deny", "lifecycle")
    assert status in body["reason"]


def test_without_a_key_it_is_401(client):
    assert APIClient().post(ACTIONS, {}, format="json").status_code in (401, 403)


def test_an_agent_sees_only_its_own_requests(bot):
    request_id = ask(bot).json()["id"]
    other = agent_client(AgentFactory(status=AgentStatus.ACTIVE))
    assert other.get(f"{ACTIONS}{request_id}/").status_code == 404
    assert bot.get(f"{ACTIONS}{request_id}/").json()["decision"] == "pending"


def test_wait_must_be_a_number(bot):
    request_id = ask(bot).json()["id"]
    assert bot.get(f"{ACTIONS}{request_id}/?wait=soon").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_long_poll_returns_as_soon_as_a_reviewer_decides(agent, reviewer):
    bot = agent_client(agent)
    request_id = ask(bot).json()["id"]

    def approve_soon():
        time.sleep(0.6)
        try:
            services.approval_decide(
                request=ActionRequest.objects.get(uuid=request_id), actor=reviewer, approve=True, comment="go"
            )
        finally:
            connection.close()

    threading.Thread(target=approve_soon).start()
    body = bot.get(f"{ACTIONS}{request_id}/?wait=25").json()
    assert (body["decision"], body["decided_by"], body["comment"]) == ("allow", "rita", "go")
    assert body["decided_at"]


def test_an_expired_request_reads_deny_with_reason_expired(bot):
    request_id = ask(bot).json()["id"]
    ActionRequest.objects.filter(uuid=request_id).update(expires_at="2000-01-01T00:00:00Z")
    services.requests_expire_due()
    body = bot.get(f"{ACTIONS}{request_id}/?wait=1").json()
    assert (body["decision"], body["reason"]) == ("deny", "expired")


def test_outcome_and_consume_endpoints(bot, reviewer):
    created = ask(bot, params={"sha": "1"}).json()
    services.approval_decide(
        request=ActionRequest.objects.get(uuid=created["id"]), actor=reviewer, approve=True
    )
    wrong = bot.post(
        f"{ACTIONS}{created['id']}/consume/",
        {"action": "deploy", "resource": "service:payments", "params": {"sha": "2"}},
        format="json",
    )
    assert (wrong.status_code, wrong.json()["field"]) == (400, "params")
    used = bot.post(
        f"{ACTIONS}{created['id']}/consume/",
        {"action": "deploy", "resource": "service:payments", "params": {"sha": "1"}},
        format="json",
    )
    assert used.status_code == 200 and used.json()["used_at"]
    bad = bot.post(f"{ACTIONS}{created['id']}/outcome/", {"status": "meh"}, format="json")
    assert (bad.status_code, bad.json()["field"]) == (400, "status")
    done = bot.post(
        f"{ACTIONS}{created['id']}/outcome/",
        {"status": "succeeded", "output": {"url": "x"}, "duration_ms": 3},
        format="json",
    )
    assert done.status_code == 200 and done.json()["outcome_status"] == "succeeded"
    assert (
        bot.post(f"{ACTIONS}{created['id']}/outcome/", {"status": "failed"}, format="json").status_code == 409
    )


def test_holds_by_agent_key_and_by_staff_session(bot, api_as, agent):
    created = bot.post("/api/v1/holds/", {"pattern": "db:prod*", "reason": "migrating"}, format="json")
    assert created.status_code == 201 and created.json()["author"] == "agent:deploy-bot"
    reviewer = api_as("reviewer")
    assert (
        reviewer.post("/api/v1/holds/", {"pattern": "svc:*", "reason": "incident"}, format="json").status_code
        == 201
    )
    assert (
        api_as("viewer")
        .post("/api/v1/holds/", {"pattern": "svc:*", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    bad = reviewer.post("/api/v1/holds/", {"pattern": "svc:*"}, format="json")
    assert (bad.status_code, bad.json()["field"]) == (400, "reason")
    listed = api_as("viewer").get("/api/v1/holds/").json()
    assert {h["pattern"] for h in listed} == {"db:prod*", "svc:*"}
    hold_id = created.json()["id"]
    assert api_as("viewer").post(f"/api/v1/holds/{hold_id}/release/", {}, format="json").status_code == 403
    released = bot.post(f"/api/v1/holds/{hold_id}/release/", {"reason": "done"}, format="json")
    assert released.status_code == 200 and released.json()["active"] is False
    assert bot.post(f"/api/v1/holds/{hold_id}/release/", {}, format="json").status_code == 409
    assert ResourceHold.objects.active().count() == 1
    assert {h["pattern"] for h in api_as("viewer").get("/api/v1/holds/?active=false").json()} == {"db:prod*"}


def test_reviewers_list_and_decide_approvals(bot, api_as, make_user):
    ask(bot, resource="service:a")
    request_id = ask(bot, resource="service:b").json()["id"]
    reviewer = api_as(user=make_user("reviewer", username="rev"))
    listed = reviewer.get("/api/v1/approvals/?status=pending").json()
    assert {r["resource"] for r in listed["results"]} == {"service:a", "service:b"}
    assert (
        api_as("viewer").post(f"/api/v1/approvals/{request_id}/approve/", {}, format="json").status_code
        == 403
    )
    refused = reviewer.post(f"/api/v1/approvals/{request_id}/reject/", {"comment": ""}, format="json")
    assert (refused.status_code, refused.json()["field"]) == (400, "comment")
    approved = reviewer.post(f"/api/v1/approvals/{request_id}/approve/", {"comment": "ok"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["approvals"][0]["reviewer"] == "rev"
    again = api_as("reviewer").post(
        f"/api/v1/approvals/{request_id}/reject/", {"comment": "late"}, format="json"
    )
    assert again.status_code == 409
    assert [r["status"] for r in reviewer.get("/api/v1/approvals/?status=approved").json()["results"]] == [
        "approved"
    ]


def test_agents_cannot_use_the_staff_approval_api(bot):
    assert bot.get("/api/v1/approvals/").status_code in (401, 403)


def test_the_policy_api_publishes_yaml_and_reads_it_back(api_as):
    admin = api_as("admin")
    assert admin.get("/api/v1/policy/").status_code == 404
    yaml_text = "rules:\n  - name: deploys\n    action: deploy\n    effect: allow\n"
    created = admin.post("/api/v1/policy/", {"yaml": yaml_text, "comment": "from CI"}, format="json")
    assert created.status_code == 201 and created.json()["version"] == 1
    body = api_as("viewer").get("/api/v1/policy/").json()
    assert body["document"]["rules"][0]["name"] == "deploys" and "name: deploys" in body["yaml"]
    bad = admin.post("/api/v1/policy/", {"yaml": "rules:\n  - name: x\n    effect: perhaps\n"}, format="json")
    assert (bad.status_code, bad.json()["field"]) == (400, "rules[0].effect")
    assert api_as("reviewer").post("/api/v1/policy/", {"yaml": yaml_text}, format="json").status_code == 403
    both = admin.post("/api/v1/policy/", {"yaml": yaml_text, "document": {}}, format="json")
    assert both.status_code == 400


def test_the_simulation_api(api_as, bot):
    ask(bot)
    result = api_as("admin").post(
        "/api/v1/policy/simulate/",
        {"document": {"rules": [{"name": "no", "effect": "deny"}]}, "days": 3},
        format="json",
    )
    assert result.status_code == 200, result.json()
    body = result.json()
    assert (body["total"], body["changed"], body["draft"]) == (1, 1, {"deny": 1})
    assert body["examples"][0]["after_rule"] == "no"


def test_admins_set_an_agents_limits_through_the_api(api_as, agent):
    url = f"/api/v1/agents/{agent.slug}/limits/"
    assert api_as("viewer").get(url).status_code == 404
    body = {
        "resource_patterns": ["service:*"],
        "rate_limits": [{"action": "deploy", "max": 5, "per": "hour"}],
        "daily_budget": "250.00",
        "budget_fields": ["amount"],
        "over_limit": "escalate",
    }
    assert api_as("viewer").put(url, body, format="json").status_code == 403
    saved = api_as("admin").put(url, body, format="json")
    assert saved.status_code == 200, saved.json()
    assert api_as("viewer").get(url).json()["rate_limits"] == [{"action": "deploy", "max": 5, "per": "hour"}]
    bad = api_as("admin").put(
        url, {**body, "rate_limits": [{"action": "deploy", "max": 0, "per": "hour"}]}, format="json"
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "rate_limits")
    bad = api_as("admin").put(url, {**body, "budget_fields": ["amount; drop"]}, format="json")
    assert (bad.status_code, bad.json()["field"]) == (400, "budget_fields")


def test_the_action_answer_builds_its_fields_once_and_each_answer_has_its_own(agent, publish, ask):
    from apps.governance.serializers import ActionOut

    publish([{"name": "all-ok", "effect": "allow"}])
    request = ask()
    first, second = ActionOut(request), ActionOut(request)
    assert first.data == second.data
    assert list(first.data) == ActionOut.Meta.fields
    assert first.fields["id"] is not second.fields["id"]
    assert first.fields["id"].parent is first and second.fields["id"].parent is second

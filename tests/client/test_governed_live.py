"""@client.governed against the real governance app (issue 4) on a live server.

Skipped until apps/governance provides the action-check API; they run once it is merged.
They rely only on issue 4's contract: tier defaults (low → allow, high → one approval),
deny for a paused agent, and the staff approvals API.
"""

import logging
import threading
import time

import pytest
from django.urls import Resolver404, resolve

from agentgov.client import ActionDenied, Client
from apps.audit.models import AuditEvent
from apps.governance.models import ActionRequest
from apps.registry import services

pytest.importorskip("apps.governance.api")


@pytest.fixture(autouse=True)
def _governance_routes():
    try:
        resolve("/api/v1/actions/")
    except Resolver404:
        pytest.skip("the action-check API (/api/v1/actions/) is not routed yet")


@pytest.fixture
def low_tier_sdk(live_server, admin):
    agent = services.agent_register(
        actor=admin, slug="docs-bot", name="Docs bot", owner=admin, risk_tier="low"
    )
    services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
    client = Client(live_server.url, services.agent_key_create(agent=agent, actor=admin)[1], backoff=0.05)
    yield client
    client.close(timeout=30)


def pending_approval(staff, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = staff.get("/api/v1/approvals/", {"status": "pending"}).json()
        items = answer["results"] if isinstance(answer, dict) else answer
        if items:
            return items[0]
        time.sleep(0.2)
    raise AssertionError("no pending approval appeared")


def sdk_complaints(caplog) -> list[str]:
    """What the SDK logged as a problem (httpx's request lines name the outcome URL too)."""
    return [
        r.getMessage() for r in caplog.records if r.name == "agentgov.client" and r.levelno >= logging.WARNING
    ]


def run_in_thread(function, *args, **kwargs) -> dict:
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_a_low_risk_action_runs_at_once_and_its_outcome_is_recorded(low_tier_sdk, caplog):
    @low_tier_sdk.governed(action="docs.publish", resource="page:{slug}")
    def publish(slug: str) -> str:
        return f"published {slug}"

    assert publish("getting-started") == "published getting-started"
    assert not sdk_complaints(caplog)  # the outcome was neither refused nor lost
    assert AuditEvent.objects.filter(resource="page:getting-started").exists()
    assert ActionRequest.objects.get(resource="page:getting-started").outcome_status == "succeeded"


def test_a_failing_tool_is_reported_as_failed_and_the_server_accepts_it(low_tier_sdk, caplog):
    @low_tier_sdk.governed(action="docs.publish", resource="page:{slug}")
    def publish(slug: str) -> str:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        publish("faq")
    assert not sdk_complaints(caplog)
    request = ActionRequest.objects.get(resource="page:faq")
    assert request.outcome_status == "failed" and "disk full" in str(request.outcome_output)


def test_a_high_risk_action_waits_for_a_reviewer_and_runs_once_approved(sdk, api_as):
    ran = []

    @sdk.governed(action="deploy", resource="service:{service}", wait_timeout=120)
    def deploy(service: str):
        ran.append(service)
        return "deployed"

    call = run_in_thread(deploy, "payments", rationale="hotfix for double refunds")
    reviewer = api_as("reviewer")
    approval = pending_approval(reviewer)
    assert ran == []  # still waiting for the person
    response = reviewer.post(f"/api/v1/approvals/{approval['id']}/approve/", {"comment": "ok"}, format="json")
    assert response.status_code in (200, 201, 202), response.content
    call["thread"].join(60)
    assert call.get("result") == "deployed", call.get("error")
    assert ran == ["payments"]


def test_a_rejection_raises_action_denied_with_the_reviewers_comment(sdk, api_as):
    @sdk.governed(action="deploy", resource="service:payments", wait_timeout=120)
    def deploy():
        raise AssertionError("must not run")

    call = run_in_thread(deploy)
    reviewer = api_as("reviewer")
    approval = pending_approval(reviewer)
    reviewer.post(f"/api/v1/approvals/{approval['id']}/reject/", {"comment": "code freeze"}, format="json")
    call["thread"].join(60)
    assert isinstance(call.get("error"), ActionDenied)
    assert "code freeze" in str(call["error"])


def test_no_decision_within_the_callers_timeout_is_a_denial(sdk):
    @sdk.governed(action="deploy", resource="service:payments", wait_timeout=2)
    def deploy():
        raise AssertionError("must not run")

    with pytest.raises(ActionDenied) as denial:
        deploy()
    assert denial.value.decision == "timeout"


def test_a_paused_agent_is_denied(sdk, admin, live_agent):
    services.agent_pause(agent=live_agent, actor=admin, reason="incident 42")

    @sdk.governed(action="deploy", resource="service:payments")
    def deploy():
        raise AssertionError("must not run")

    with pytest.raises(ActionDenied, match="paused"):
        deploy()

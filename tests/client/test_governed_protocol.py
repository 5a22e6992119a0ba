"""@client.governed and client.heartbeat speaking the protocol of issues 4 and 5 to a
scripted server: what is sent, how answers, failures and timeouts are handled.
(test_governed_live.py runs the same flows against the real governance app.)"""

import asyncio
import threading

import pytest

from agentgov.client import ActionDenied, AgentgovError, GovernanceUnavailable
from tests.client.fake_server import quick_client

ACTION_ID = "7d1e0c2a"


def governance(*decisions: dict, outcome_status: int = 201, on_outcome=None):
    """A responder: POST /api/v1/actions/ answers decisions[0], each long-poll the next."""
    answers = iter(decisions)
    last = {}

    def respond(method, path, body):
        nonlocal last
        if path.endswith("/outcome/"):
            if on_outcome:
                on_outcome(body)
            return outcome_status, {"recorded": True}
        if method == "POST" or path.startswith(f"/api/v1/actions/{ACTION_ID}/?wait="):
            last = {"id": ACTION_ID, **next(answers, last)}
            return (201 if method == "POST" else 200), last
        return 404, {"error": "no such route"}

    return respond


def test_an_allowed_action_runs_with_its_arguments_as_params_and_reports_the_outcome(server):
    outcomes = []
    script = server(respond=governance({"decision": "allow"}, on_outcome=outcomes.append))
    client = quick_client(script.url)

    @client.governed(action="deploy", resource="service:{service}")
    def deploy(service: str, version: str = "1.0", *, dry_run: bool = False) -> dict:
        return {"deployed": service, "version": version}

    assert deploy("payments", rationale="hotfix for refunds") == {"deployed": "payments", "version": "1.0"}
    asked = script.received[0]
    assert asked["action"] == "deploy" and asked["resource"] == "service:payments"
    assert asked["params"] == {"service": "payments", "version": "1.0", "dry_run": False}
    assert asked["rationale"] == "hotfix for refunds"
    assert len(asked["idempotency_key"]) == 32
    assert script.requests[1] == ("POST", f"/api/v1/actions/{ACTION_ID}/outcome/")
    (outcome,) = outcomes
    assert outcome["status"] == "succeeded" and outcome["output"] == {
        "deployed": "payments",
        "version": "1.0",
    }
    assert outcome["duration_ms"] >= 0
    client.close()


def test_a_pending_action_waits_through_long_polls_until_allowed(server):
    pending = {"decision": "pending", "reason": "high tier needs one approval"}
    script = server(respond=governance(pending, pending, {"decision": "allow", "decided_by": "rita"}))
    client = quick_client(script.url)
    ran = []

    @client.governed(action="refund", resource="order:o-9", wait_timeout=120)
    def refund():
        ran.append(True)

    with client.trace("refund flow") as run:
        refund()
    assert ran == [True]
    polls = [path for method, path in script.requests if method == "GET"]
    assert polls == [f"/api/v1/actions/{ACTION_ID}/?wait=30"] * 2
    assert (script.received[0]["trace_id"], script.received[0]["span_id"]) == (run.trace_id, run.span_id)
    client.close()


def test_a_denial_raises_action_denied_with_the_reason_and_the_function_does_not_run(server):
    denied = {"decision": "deny", "reason": "rule 3: no deploys on Fridays", "rule": "3"}
    script = server(respond=governance(denied))
    client = quick_client(script.url)
    ran = []

    @client.governed(action="deploy", resource="service:payments")
    def deploy():
        ran.append(True)

    with pytest.raises(ActionDenied, match="no deploys on Fridays") as denial:
        deploy()
    assert (denial.value.decision, denial.value.action_id, denial.value.answer["rule"]) == (
        "deny",
        ACTION_ID,
        "3",
    )
    assert ran == [] and len(script.requests) == 1  # no outcome for what did not run
    client.close()


def test_a_rejection_by_a_person_names_them_and_their_comment(server):
    rejected = {
        "decision": "deny",
        "reason": "rejected",
        "decided_by": "rita",
        "comment": "not during the freeze",
    }
    script = server(respond=governance({"decision": "pending"}, rejected))
    client = quick_client(script.url)

    @client.governed(action="deploy")
    def deploy():
        pass

    with pytest.raises(ActionDenied, match=r"rejected \(rita, not during the freeze\)"):
        deploy()
    client.close()


def test_an_expired_request_is_a_denial_of_kind_expired(server):
    script = server(respond=governance({"decision": "pending"}, {"decision": "deny", "reason": "expired"}))
    client = quick_client(script.url)

    @client.governed(action="deploy")
    def deploy():
        pass

    with pytest.raises(ActionDenied) as denial:
        deploy()
    assert denial.value.decision == "expired"
    client.close()


def test_no_decision_before_the_callers_timeout_is_a_denial_and_nothing_runs(server):
    script = server(respond=governance({"decision": "pending"}))
    client = quick_client(script.url)
    ran = []

    @client.governed(action="deploy", wait_timeout=1.5)
    def deploy():
        ran.append(True)

    with pytest.raises(ActionDenied, match=r"no decision on deploy  within 1\.5s") as denial:
        deploy()
    assert denial.value.decision == "timeout" and ran == []
    assert script.requests[1] == ("GET", f"/api/v1/actions/{ACTION_ID}/?wait=2")
    client.close()


def test_it_fails_closed_when_agentgov_is_unavailable(server):
    script = server((503, {"error": "down"}))
    client = quick_client(script.url, max_retries=2)
    ran = []

    @client.governed(action="deploy")
    def deploy():
        ran.append(True)

    with pytest.raises(GovernanceUnavailable, match="could not reach agentgov"):
        deploy()
    assert ran == [] and len(script.requests) == 3
    client.close()


def test_a_paused_agent_refused_with_403_gets_action_denied(server):
    script = server((403, {"error": "agent 'payments-bot' is paused"}))
    client = quick_client(script.url)

    @client.governed(action="deploy")
    def deploy():
        pass

    with pytest.raises(ActionDenied, match="is paused"):
        deploy()
    client.close()


def test_a_malformed_request_is_an_agentgov_error_not_a_silent_pass(server):
    script = server((400, {"error": "action: this field is required", "field": "action"}))
    client = quick_client(script.url)

    @client.governed(action="")
    def act():
        pass

    with pytest.raises(AgentgovError, match="this field is required"):
        act()
    client.close()


def test_an_exception_in_the_tool_is_reported_as_an_error_outcome_and_re_raised(server):
    outcomes = []
    script = server(respond=governance({"decision": "allow"}, on_outcome=outcomes.append))
    client = quick_client(script.url)

    @client.governed(action="charge")
    def charge(amount: int):
        raise RuntimeError("card declined")

    with pytest.raises(RuntimeError, match="card declined"):
        charge(40)
    assert outcomes[0]["status"] == "failed"
    assert outcomes[0]["output"] == "RuntimeError: card declined"
    client.close()


def test_a_lost_outcome_report_does_not_fail_the_action(server, caplog):
    script = server(respond=governance({"decision": "allow"}, outcome_status=503))
    client = quick_client(script.url)

    @client.governed(action="charge")
    def charge():
        return "done"

    assert charge() == "done"
    assert "could not report the outcome" in caplog.text
    client.close()


def test_async_tools_are_governed_without_blocking_the_event_loop(server):
    gate = threading.Event()
    script = server(respond=governance({"decision": "pending"}, {"decision": "allow"}))
    client = quick_client(script.url)

    @client.governed(action="send_email", resource="mailbox:{to}")
    async def send_email(to: str) -> str:
        return f"sent to {to}"

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while not gate.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        ticking = asyncio.create_task(ticker())
        result = await send_email("ops@example.com")
        gate.set()
        await ticking
        return result, ticks

    result, ticks = asyncio.run(main())
    assert result == "sent to ops@example.com"
    assert ticks > 0  # the loop kept running while the SDK waited on HTTP
    assert script.received[0]["resource"] == "mailbox:ops@example.com"
    client.close()


def test_keyword_arguments_collected_by_kwargs_are_sent_as_flat_params(server):
    script = server(respond=governance({"decision": "allow"}))
    client = quick_client(script.url)

    @client.governed(action="stripe.refund", resource="stripe:{charge}")
    def refund(charge: str, **details):
        return details

    assert refund("ch_1", amount=40, currency="eur") == {"amount": 40, "currency": "eur"}
    assert script.received[0]["params"] == {"charge": "ch_1", "amount": 40, "currency": "eur"}
    assert script.received[0]["resource"] == "stripe:ch_1"
    client.close()


def test_a_function_that_takes_a_rationale_still_receives_it(server):
    script = server(respond=governance({"decision": "allow"}))
    client = quick_client(script.url)

    @client.governed(action="note")
    def note(text: str, rationale: str = "") -> str:
        return rationale

    assert note("x", rationale="because") == "because"
    assert script.received[0]["rationale"] == "because"
    assert script.received[0]["params"] == {"text": "x", "rationale": "because"}
    client.close()


def test_heartbeats_send_only_what_is_given(server):
    script = server((201, {"state": "up"}))
    client = quick_client(script.url)
    assert client.heartbeat()
    assert client.heartbeat(status="degraded", message="queue backing up", metrics={"queue": 812})
    assert script.received == [
        {},
        {"status": "degraded", "message": "queue backing up", "metrics": {"queue": 812}},
    ]
    assert script.requests[0] == ("POST", "/api/v1/heartbeats/")
    client.close()


def test_a_failed_heartbeat_returns_false_and_never_raises(server):
    script = server((500, {"error": "oops"}))
    client = quick_client(script.url)
    assert client.heartbeat(status="ok") is False
    client.close()
    assert quick_client("http://127.0.0.1:9", timeout=1).heartbeat() is False


def test_a_heartbeat_outage_is_logged_once_not_every_beat(server, caplog):
    script = server((404, {"detail": "Not found."}), (404, {"detail": "Not found."}), (201, {}))
    client = quick_client(script.url)
    assert [client.heartbeat(), client.heartbeat(), client.heartbeat()] == [False, False, True]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == [
        "agentgov: heartbeat refused with HTTP 404: Not found.",
        "agentgov: heartbeats are getting through again",
    ]
    client.close()


def test_a_server_without_the_api_is_named_by_its_page_title_not_its_html(server, caplog):
    page = "<!DOCTYPE html>\n<html><head>\n<title>Page not found at /api/v1/heartbeats/</title></head></html>"
    script = server((404, page))
    client = quick_client(script.url)
    client.heartbeat()
    assert "heartbeat refused with HTTP 404: Page not found at /api/v1/heartbeats/" in caplog.text
    assert "DOCTYPE" not in caplog.text
    client.close()

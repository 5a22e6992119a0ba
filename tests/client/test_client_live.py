"""The SDK against a live agentgov: what an agent records arrives, chained and linked."""

import asyncio
import threading

import pytest

from agentgov.client import ActionDenied, current_span
from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent


def test_events_arrive_in_the_agents_chain(sdk, live_agent):
    for i in range(120):
        sdk.event("tool_call", name="search", input={"q": i}, output={"hits": i % 3}, duration_ms=3.5)
    assert sdk.flush(timeout=60)
    assert AuditEvent.objects.filter(agent=live_agent, type="tool_call", name="search").count() == 120
    assert chains_verify(agent=live_agent).ok
    assert (sdk.stats.sent, sdk.stats.dropped, sdk.stats.rejected) == (120, 0, 0)


def test_events_from_many_threads_all_arrive(sdk, live_agent):
    def work(worker: int):
        for i in range(50):
            sdk.event("log", name=f"w{worker}", attributes={"i": i})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sdk.flush(timeout=60)
    assert AuditEvent.objects.filter(agent=live_agent, type="log", name__startswith="w").count() == 200


def test_traces_and_spans_link_parents_and_record_durations_and_errors(sdk, live_agent):
    with sdk.trace("answer ticket 4812") as run:
        with sdk.span("lookup order", type="tool_call") as lookup:
            lookup.input = {"order": "o-9"}
            lookup.output = {"status": "shipped"}
        with pytest.raises(TimeoutError), sdk.span("charge card", type="tool_call"):
            raise TimeoutError("gateway timed out")
        sdk.event("message", name="reply", output="Your order has shipped", tokens_out=12)
    assert current_span() is None
    assert sdk.flush(timeout=60)

    events = {event.name: event for event in AuditEvent.objects.filter(trace_id=run.trace_id)}
    assert set(events) == {"answer ticket 4812", "lookup order", "charge card", "reply"}
    root, lookup_event, charge = events["answer ticket 4812"], events["lookup order"], events["charge card"]
    assert len(run.trace_id) == 32 and len(root.span_id) == 16
    assert root.parent_span_id == ""
    assert lookup_event.parent_span_id == charge.parent_span_id == root.span_id
    assert events["reply"].span_id == root.span_id  # an event inside a span belongs to it
    assert lookup_event.output == {"status": "shipped"}
    assert (charge.status, charge.attributes["error.type"]) == ("error", "TimeoutError")
    assert root.duration_ms >= lookup_event.duration_ms >= 0
    assert root.occurred_at <= lookup_event.occurred_at


def test_the_trace_view_shows_an_sdk_run(sdk, api_as):
    with sdk.trace("nightly sync") as run, sdk.span("fetch", type="tool_call"):
        pass
    assert sdk.flush(timeout=60)
    trace = api_as("viewer").get(f"/api/v1/traces/{run.trace_id}/").json()
    assert [span["depth"] for span in trace["spans"]] == [0, 1]


def test_a_new_trace_inside_a_span_starts_afresh(sdk):
    with sdk.trace("outer") as outer, sdk.trace("inner") as inner:
        assert inner.trace_id != outer.trace_id
        assert current_span().span_id == inner.span_id
    assert current_span() is None


def test_spans_follow_asyncio_tasks(sdk):
    async def step(name):
        with sdk.span(name) as span:
            await asyncio.sleep(0)
            return span.context.parent_span_id

    async def run():
        async with sdk.trace("fan out") as root:
            parents = await asyncio.gather(step("a"), step("b"))
        return root, parents

    root, parents = asyncio.run(run())
    assert parents == [root.span_id, root.span_id]


def test_a_denied_action_inside_a_span_is_recorded_as_denied(sdk):
    with pytest.raises(ActionDenied), sdk.trace("risky") as run:
        raise ActionDenied("policy forbids it")
    assert sdk.flush(timeout=60)
    assert AuditEvent.objects.get(trace_id=run.trace_id).status == "denied"


def test_a_decision_is_recorded_with_its_alternatives_and_rationale(sdk, live_agent):
    with sdk.trace("refund request") as run:
        sdk.decision(
            name="refund.amount",
            chosen="refund 40",
            alternatives=["refund 40", {"option": "refuse", "score": 0.2, "reason": "policy"}],
            rationale="customer was double charged",
        )
    assert sdk.flush(timeout=60)
    decision = AuditEvent.objects.get(trace_id=run.trace_id, type="decision")
    assert (decision.chosen, decision.rationale, decision.name) == (
        "refund 40",
        "customer was double charged",
        "refund.amount",
    )
    assert decision.alternatives == [
        {"option": "refund 40"},
        {"option": "refuse", "score": 0.2, "reason": "policy"},
    ]
    assert decision.agent == live_agent


def test_secrets_the_agent_sends_are_redacted_as_for_any_event(sdk):
    sdk.event("tool_call", name="call api", input={"password": "hunter2-very-secret"})
    assert sdk.flush(timeout=60)
    event = AuditEvent.objects.get(name="call api")
    assert "hunter2-very-secret" not in str(event.input)

"""The SDK's background sender against a scripted server that fails on purpose:
retries, refusals, drops, batching and the flush on close and at exit."""

import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from tests.client.fake_server import quick_client

ACCEPTED = (202, {"accepted": 1, "duplicates": 0, "rejected": []})
ROOT = Path(__file__).resolve().parents[2]


def accepted(count: int) -> tuple[int, dict]:
    return 202, {"accepted": count, "duplicates": 0, "rejected": []}


def test_a_batch_is_retried_after_503_until_accepted(server):
    script = server((503, {"error": "busy"}), (503, {"error": "busy"}), accepted(3))
    client = quick_client(script.url)
    for i in range(3):
        client.event("log", name=f"step {i}")
    assert client.flush(timeout=30)
    stats = client.stats
    assert (stats.sent, stats.retries, stats.failed) == (3, 2, 0)
    assert len(script.received) == 3
    # The same events, with the same ids, each time: agentgov stores a resend once.
    assert script.received[0] == script.received[2]
    client.close()


def test_connection_errors_are_retried_then_given_up_and_counted():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens here once closed
    client = quick_client(f"http://127.0.0.1:{closed_port}", max_retries=2)
    client.event("log", name="lost")
    assert client.flush(timeout=30)
    assert (client.stats.retries, client.stats.failed, client.stats.sent) == (2, 1, 0)
    client.close()


def test_a_refused_batch_is_not_retried_and_is_counted(server):
    script = server((403, {"error": "agent 'x' is retired"}))
    client = quick_client(script.url)
    client.event("log", name="a")
    client.event("log", name="b")
    assert client.flush(timeout=30)
    assert len(script.received) == 1
    assert (client.stats.rejected, client.stats.retries, client.stats.sent) == (2, 0, 0)
    client.close()


def test_invalid_events_named_by_index_are_set_aside_and_the_rest_resent(server):
    refused = (
        400,
        {"error": "batch refused", "errors": [{"index": 1, "field": "name", "message": "too long"}]},
    )
    script = server(refused, accepted(2))
    client = quick_client(script.url, flush_interval=0.5)
    for name in ("a", "b", "c"):
        client.event("log", name=name)
    assert client.flush(timeout=30)
    assert [event["name"] for event in script.received[1]["events"]] == ["a", "c"]
    assert (client.stats.rejected, client.stats.sent) == (1, 2)
    client.close()


def test_events_are_dropped_and_counted_when_the_queue_is_full_without_blocking(server):
    gate = threading.Event()
    script = server(ACCEPTED, gate=gate)
    client = quick_client(script.url, max_queue=3, batch_size=1)
    client.event("log", name="in flight")
    assert script.arrived.wait(30)  # the sender thread now waits on the server
    results = [client.event("log", name=f"e{i}") for i in range(10)]
    assert results.count(None) == 7
    assert client.stats.dropped == 7
    gate.set()
    assert client.flush(timeout=30)
    assert [event["name"] for event in script.events()] == ["in flight", "e0", "e1", "e2"]
    client.close()


def test_batches_hold_at_most_batch_size_events(server):
    script = server(accepted(1000), accepted(1000), accepted(500))
    client = quick_client(script.url, batch_size=1000, flush_interval=2)
    for i in range(2500):
        client.event("log", name=f"e{i}")
    assert client.flush(timeout=60)
    assert [len(body["events"]) for body in script.received] == [1000, 1000, 500]
    client.close()


def test_close_sends_what_is_queued_without_waiting_for_the_interval(server):
    script = server(accepted(2))
    client = quick_client(script.url, flush_interval=60)
    client.event("log", name="a")
    client.event("log", name="b")
    client.close(timeout=30)
    assert [event["name"] for event in script.events()] == ["a", "b"]
    assert client.event("log", name="after close") is None
    assert client.stats.dropped == 1


def test_values_json_cannot_hold_do_not_spoil_the_batch(server):
    script = server(accepted(1))
    client = quick_client(script.url)
    client.event("tool_call", name="t", input={"ratio": float("nan"), "when": object, "tags": {"a"}})
    client.close(timeout=30)
    (event,) = script.events()
    assert event["input"]["ratio"] == "nan"
    assert event["input"]["tags"] == ["a"]


def test_an_agent_that_exits_without_closing_still_flushes(server):
    script = server(accepted(1))
    program = textwrap.dedent(
        f"""
        from agentgov.client import Client
        client = Client({script.url!r}, "agk_test_secret", flush_interval=60)
        client.event("log", name="last words")
        """
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=60)
    assert [event["name"] for event in script.events()] == ["last words"]


def test_the_sdk_imports_without_django_or_a_database():
    program = (
        "import sys, agentgov.client; "
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'celery', 'apps')]; "
        "assert not loaded, loaded"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=60, cwd="/")


def test_a_span_records_the_fields_given_at_start_and_while_it_ran(server):
    script = server(accepted(1))
    client = quick_client(script.url)
    with client.span("query", type="tool_call", resource="db:orders", attributes={"rows": 3}) as span:
        span.output = {"count": 3}
        span.set(tokens_in=10)
    client.close(timeout=30)
    (event,) = script.events()
    assert (event["type"], event["name"], event["resource"], event["status"]) == (
        "tool_call",
        "query",
        "db:orders",
        "ok",
    )
    assert (event["output"], event["tokens_in"], event["attributes"]) == ({"count": 3}, 10, {"rows": 3})
    assert len(event["trace_id"]) == 32 and "parent_span_id" not in event

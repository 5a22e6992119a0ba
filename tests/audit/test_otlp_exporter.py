"""The real OpenTelemetry SDK and its OTLP/HTTP exporter, configured the way a team would
(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_HEADERS), sending to a live server."""

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode, format_trace_id

from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent
from apps.registry import services


@pytest.fixture
def exporter_env(live_server, live_agent, admin, monkeypatch):
    key = services.agent_key_create(agent=live_agent, actor=admin)[1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{live_server.url}/api/v1/otlp/v1/traces")
    # The headers variable is W3C-baggage style: the space in "Bearer <key>" is percent-encoded.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{key}")
    return key


def run_an_instrumented_agent() -> str:
    """What a GenAI-instrumented agent emits: an agent run with a model call and a tool
    call, one of which fails. Returns the trace id as hex."""
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # configured from the env
    tracer = provider.get_tracer("support-bot.agent", "0.3.0")
    with tracer.start_as_current_span(
        "invoke_agent support", attributes={"gen_ai.operation.name": "invoke_agent"}
    ) as run:
        with tracer.start_as_current_span(
            "chat gpt-4.1",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4.1",
                "gen_ai.usage.input_tokens": 640,
                "gen_ai.usage.output_tokens": 72,
            },
        ):
            pass
        with tracer.start_as_current_span(
            "execute_tool refund",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "refund",
                "gen_ai.tool.call.arguments": '{"order": "o-9", "amount": 40}',
            },
        ) as tool:
            tool.record_exception(TimeoutError("payments API timed out"))
            tool.set_status(Status(StatusCode.ERROR, "payments API timed out"))
        trace_id = format_trace_id(run.get_span_context().trace_id)
    assert provider.force_flush(timeout_millis=30_000)
    provider.shutdown()
    return trace_id


def test_spans_from_the_real_exporter_land_in_the_trail_and_the_trace_view(
    exporter_env, live_agent, api_as, client, admin
):
    trace_id = run_an_instrumented_agent()

    events = {event.name: event for event in AuditEvent.objects.filter(trace_id=trace_id)}
    assert set(events) == {"invoke_agent support", "chat gpt-4.1", "refund"}
    run, chat, tool = events["invoke_agent support"], events["chat gpt-4.1"], events["refund"]
    assert (run.type, chat.type, tool.type) == ("action", "message", "tool_call")
    assert (chat.tokens_in, chat.tokens_out) == (640, 72)
    assert (tool.status, tool.input) == ("error", {"order": "o-9", "amount": 40})
    assert tool.attributes["otel.events"][0]["name"] == "exception"
    assert chat.parent_span_id == tool.parent_span_id == run.span_id
    assert run.agent == live_agent and run.duration_ms >= tool.duration_ms
    assert chains_verify(agent=live_agent).ok

    staff = api_as("viewer")
    trail = staff.get("/api/v1/events/", {"trace_id": trace_id}).json()["results"]
    assert {row["name"] for row in trail} == set(events)
    trace = staff.get(f"/api/v1/traces/{trace_id}/").json()
    depths = [(span["span_id"], span["depth"]) for span in trace["spans"]]
    assert depths[0] == (run.span_id, 0)
    assert {depth for _, depth in depths[1:]} == {1}

    client.force_login(admin)
    page = client.get(f"/audit/traces/{trace_id}/")
    assert page.status_code == 200
    for name in ("invoke_agent support", "chat gpt-4.1", "refund"):
        assert f"<code>{name}</code>".encode() in page.content
    assert f"span <code>{tool.span_id}</code> · level 2".encode() in page.content


def test_a_resend_by_the_exporter_stores_nothing_twice(exporter_env, live_agent):
    collected = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(collected))
    with provider.get_tracer("resend").start_as_current_span("log line"):
        pass
    exporter = OTLPSpanExporter()
    assert exporter.export(collected.get_finished_spans()) == SpanExportResult.SUCCESS
    assert exporter.export(collected.get_finished_spans()) == SpanExportResult.SUCCESS
    assert AuditEvent.objects.filter(agent=live_agent, name="log line").count() == 1

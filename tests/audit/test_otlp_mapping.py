"""OTLP spans → event dicts, by the OpenTelemetry GenAI conventions (no database)."""

import pytest

from apps.audit.ingest import MAX_JSON_STRING, EventIn
from apps.audit.otlp.mapping import SpanRejected, span_to_event, spans_of
from tests.audit.otlp_helpers import TRACE_ID, export, make_span, tool_span


def mapped(span):
    request = export(span)
    ((only, shared),) = spans_of(request)
    return span_to_event(only, shared)


def test_execute_tool_becomes_a_tool_call_with_arguments_and_result_as_input_and_output():
    event = mapped(tool_span("search_orders", span_id=bytes.fromhex("00f067aa0ba902b7")))
    assert event["type"] == "tool_call"
    assert event["name"] == "search_orders"
    assert event["input"] == {"customer": "c-42"}
    assert event["output"] == {"orders": 3}
    assert (event["id"], event["span_id"]) == ("00f067aa0ba902b7", "00f067aa0ba902b7")
    assert event["trace_id"] == TRACE_ID.hex()
    assert "gen_ai.tool.name" not in event["attributes"]
    assert event["attributes"]["gen_ai.operation.name"] == "execute_tool"


def test_tool_arguments_that_are_not_json_are_kept_as_text():
    event = mapped(tool_span(attributes={"gen_ai.tool.call.arguments": "{not json"}))
    assert event["input"] == "{not json"


@pytest.mark.parametrize("operation", ["invoke_agent", "create_agent"])
def test_agent_operations_become_actions(operation):
    event = mapped(make_span(f"{operation} planner", attributes={"gen_ai.operation.name": operation}))
    assert (event["type"], event["name"]) == ("action", f"{operation} planner")


@pytest.mark.parametrize("operation", ["chat", "text_completion", "generate_content"])
def test_model_calls_become_messages_with_token_usage(operation):
    attributes = {
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": "gpt-4.1",
        "gen_ai.usage.input_tokens": 812,
        "gen_ai.usage.output_tokens": 96,
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
        "gen_ai.output.messages": '[{"role": "assistant", "parts": []}]',
    }
    event = mapped(make_span(f"{operation} gpt-4.1", attributes=attributes))
    assert event["type"] == "message"
    assert (event["tokens_in"], event["tokens_out"]) == (812, 96)
    assert event["input"][0]["role"] == "user"
    assert event["output"][0]["role"] == "assistant"
    assert event["attributes"]["gen_ai.request.model"] == "gpt-4.1"
    assert "gen_ai.usage.input_tokens" not in event["attributes"]


def test_other_genai_operations_are_actions_and_plain_spans_are_logs():
    assert mapped(make_span("embed", attributes={"gen_ai.operation.name": "embeddings"}))["type"] == "action"
    assert mapped(make_span("GET /orders", attributes={"http.request.method": "GET"}))["type"] == "log"


def test_an_error_status_or_error_type_marks_the_event_as_an_error():
    assert mapped(make_span(error=True))["status"] == "error"
    assert mapped(make_span(attributes={"error.type": "TimeoutError"}))["status"] == "error"
    assert mapped(make_span())["status"] == "ok"
    assert mapped(make_span(error=True))["attributes"]["otel.status_message"] == "boom"


def test_ids_are_hex_and_the_parent_is_kept():
    parent = bytes.fromhex("1111111111111111")
    event = mapped(make_span(span_id=bytes.fromhex("2222222222222222"), parent=parent))
    assert (event["span_id"], event["parent_span_id"]) == ("2222222222222222", "1111111111111111")
    assert "parent_span_id" not in mapped(make_span())


def test_start_and_end_become_occurred_at_and_duration():
    start = 1_764_000_000_123_456_789
    event = mapped(make_span(start_ns=start, duration_ms=250.5))
    assert event["occurred_at"] == "2025-11-24T16:00:00.123456Z"
    assert event["duration_ms"] == pytest.approx(250.5)


def test_resource_scope_kind_events_and_other_attributes_are_kept_in_attributes():
    span = make_span(attributes={"customer.tier": "gold", "retry": 2, "ratio": 0.5, "flags": [True, False]})
    span.events.add(name="exception", time_unix_nano=span.start_time_unix_nano).attributes.add(
        key="exception.type"
    ).value.string_value = "ValueError"
    attributes = mapped(span)["attributes"]
    assert attributes["customer.tier"] == "gold"
    assert (attributes["retry"], attributes["ratio"], attributes["flags"]) == (2, 0.5, [True, False])
    assert attributes["otel.resource"] == {"service.name": "support-bot"}
    assert attributes["otel.scope"] == {"name": "agent.sdk", "version": "1.2"}
    assert attributes["otel.span_kind"] == "internal"
    assert attributes["otel.events"][0]["attributes"] == {"exception.type": "ValueError"}


def test_agentgov_attributes_fill_resource_rationale_and_cost():
    attributes = {
        "agentgov.resource": "service:payments",
        "agentgov.rationale": "refund requested",
        "agentgov.cost_usd": 0.0031,
    }
    event = mapped(make_span(attributes=attributes))
    assert (event["resource"], event["rationale"], event["cost_usd"]) == (
        "service:payments",
        "refund requested",
        0.0031,
    )


def test_values_json_cannot_hold_are_made_safe():
    attributes = {"nan": float("nan"), "blob": b"\x01\xff", "long": "x" * (MAX_JSON_STRING + 10)}
    kept = mapped(make_span(attributes=attributes))["attributes"]
    assert (kept["nan"], kept["blob"]) == ("nan", "01ff")
    assert len(kept["long"]) <= MAX_JSON_STRING and kept["long"].endswith("characters cut]")


def test_the_mapped_event_passes_the_ingestion_schema():
    EventIn.model_validate(mapped(tool_span()))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"span_id": b"\x01\x02"}, "span_id must be 8 bytes"),
        ({"span_id": bytes(8)}, "span_id is all zeros"),
        ({"trace_id": b""}, "trace_id must be 16 bytes"),
        ({"parent": b"\x01"}, "parent_span_id must be 8 bytes"),
    ],
)
def test_a_span_with_bad_ids_is_rejected_with_the_reason(fields, reason):
    with pytest.raises(SpanRejected, match=reason):
        mapped(make_span(**fields))


def test_token_counts_must_be_whole_numbers():
    with pytest.raises(SpanRejected, match=r"gen_ai\.usage\.input_tokens"):
        mapped(make_span(attributes={"gen_ai.usage.input_tokens": -3}))

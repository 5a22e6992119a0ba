"""OTLP spans → agentgov events, by the OpenTelemetry GenAI semantic conventions.

Pure functions over the protobuf messages of `opentelemetry-proto`: no database here.
The result of `span_to_event` is a plain dict shaped like one item of
`POST /api/v1/events/`, so it goes through the same validation, redaction and hash chain.

The mapping (https://opentelemetry.io/docs/specs/semconv/gen-ai/):
- `gen_ai.operation.name` `execute_tool` → `tool_call` named by `gen_ai.tool.name`, with
  `gen_ai.tool.call.arguments` / `gen_ai.tool.call.result` as input / output;
- `invoke_agent`, `create_agent` → `action`;
- `chat`, `text_completion`, `generate_content` → `message`, with `gen_ai.input.messages` /
  `gen_ai.output.messages` (or the older `gen_ai.prompt` / `gen_ai.completion`) as input / output;
- any other GenAI operation → `action`; a span that is not a GenAI operation → `log`;
- `gen_ai.usage.input_tokens` / `output_tokens` → tokens_in / tokens_out on any span;
- span status ERROR or an `error.type` attribute → status `error`;
- agentgov's own `agentgov.resource`, `agentgov.rationale`, `agentgov.action_id` and
  `agentgov.cost_usd` attributes fill the fields of the same names (the conventions have none);
- everything else is kept in `attributes`, with the span's resource, scope, kind, status
  message, events and links under `otel.*` keys.

The event id is the span id, so an exporter's retry of the same span is a duplicate.
"""

import json
import math
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from apps.audit.ingest import MAX_JSON_DEPTH, MAX_JSON_STRING

TOOL_OPERATIONS = frozenset({"execute_tool"})
ACTION_OPERATIONS = frozenset({"invoke_agent", "create_agent"})
MESSAGE_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})

NAME_LIMIT = 200
SPAN_EVENT_LIMIT = 64  # span events kept per span; the rest are counted, not stored
TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8
SPAN_KINDS = {
    number: name.removeprefix("SPAN_KIND_").lower() for name, number in Span.SpanKind.items() if number
}


class SpanRejected(ValueError):
    """This span cannot become an event; the others in the request still can."""


def any_value(value: AnyValue, depth: int = 1) -> Any:
    """An OTLP attribute value as plain JSON. Bytes become hex; NaN and infinities become
    strings (JSON and PostgreSQL have no such numbers); over-long strings are cut."""
    if depth > MAX_JSON_DEPTH:
        raise SpanRejected(f"an attribute value is nested deeper than {MAX_JSON_DEPTH} levels")
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return _bounded_string(value.string_value)
    if kind in ("bool_value", "int_value"):
        return getattr(value, kind)
    if kind == "double_value":
        number = value.double_value
        return number if math.isfinite(number) else str(number)
    if kind == "bytes_value":
        return _bounded_string(value.bytes_value.hex())
    if kind == "array_value":
        return [any_value(item, depth + 1) for item in value.array_value.values]
    if kind == "kvlist_value":
        return key_values(value.kvlist_value.values, depth + 1)
    return None  # an empty AnyValue is how OTLP says null


def key_values(pairs: "list[KeyValue] | Any", depth: int = 1) -> dict[str, Any]:
    return {pair.key: any_value(pair.value, depth) for pair in pairs}


def _bounded_string(text: str) -> str:
    # Cut rather than refuse: losing a whole span over one long stack trace would be worse.
    if len(text) <= MAX_JSON_STRING:
        return text
    cut = len(text) - MAX_JSON_STRING + 40
    return f"{text[: MAX_JSON_STRING - 40]}…[{cut:,} characters cut]"


def _hex_id(raw: bytes, size: int, field: str, *, required: bool) -> str | None:
    if not raw and not required:
        return None  # a root span
    if len(raw) != size:
        raise SpanRejected(f"{field} must be {size} bytes, got {len(raw)}")
    if not any(raw):
        raise SpanRejected(f"{field} is all zeros, which OTLP defines as invalid")
    return raw.hex()


def _timestamp(unix_nano: int) -> str | None:
    if not unix_nano:
        return None
    seconds, nanos = divmod(unix_nano, 1_000_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=nanos // 1000)
    except (OverflowError, OSError, ValueError):
        raise SpanRejected(f"start time {unix_nano} ns is out of range") from None
    return moment.isoformat().replace("+00:00", "Z")


def _maybe_json(value: Any) -> Any:
    """GenAI conventions carry arguments, results and messages as JSON text when the SDK
    cannot send structured values: store the structure when the text is a JSON object/array."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _event_type(operation: str, attributes: dict[str, Any]) -> str:
    if operation in TOOL_OPERATIONS or (not operation and "gen_ai.tool.name" in attributes):
        return "tool_call"
    if operation in MESSAGE_OPERATIONS:
        return "message"
    if operation:
        return "action"  # invoke_agent, create_agent, and GenAI operations not named above
    return "log"


def _take(attributes: dict[str, Any], *keys: str) -> Any:
    """The first of these attributes present, removed from `attributes` (it becomes a field)."""
    found = None
    for key in keys:
        if key in attributes:
            value = attributes.pop(key)
            found = value if found is None else found
    return found


def _count(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        raise SpanRejected(f"{field} must be a non-negative integer, got {value!r}")
    return int(value)


def _span_events(span: Span) -> list[dict]:
    return [
        {"name": event.name, "time": _timestamp(event.time_unix_nano), **_optional_attributes(event)}
        for event in span.events[:SPAN_EVENT_LIMIT]
    ]


def _optional_attributes(message) -> dict:
    return {"attributes": key_values(message.attributes)} if message.attributes else {}


def shared_context(resource: ResourceSpans, scope: ScopeSpans) -> dict[str, Any]:
    """What every span of one scope shares, computed once per scope rather than per span."""
    shared: dict[str, Any] = {}
    if resource.resource.attributes:
        shared["otel.resource"] = key_values(resource.resource.attributes)
    if scope.scope.name:
        shared["otel.scope"] = {"name": scope.scope.name, "version": scope.scope.version}
    return shared


def _span_context(span: Span) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if span.kind:
        context["otel.span_kind"] = SPAN_KINDS.get(span.kind, str(span.kind))
    if span.status.message:
        context["otel.status_message"] = _bounded_string(span.status.message)
    if span.events:
        context["otel.events"] = _span_events(span)
        if len(span.events) > SPAN_EVENT_LIMIT:
            context["otel.events_dropped"] = len(span.events) - SPAN_EVENT_LIMIT
    if span.links:
        context["otel.links"] = [
            {"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex()} for link in span.links
        ]
    return context


def span_to_event(span: Span, shared: dict[str, Any]) -> dict[str, Any]:
    """One span as an event dict for `events_ingest`; `shared` is its scope's
    `shared_context`. Raises SpanRejected with the reason."""
    span_id = _hex_id(span.span_id, SPAN_ID_BYTES, "span_id", required=True)
    event: dict[str, Any] = {
        "id": span_id,
        "trace_id": _hex_id(span.trace_id, TRACE_ID_BYTES, "trace_id", required=True),
        "span_id": span_id,
        "parent_span_id": _hex_id(span.parent_span_id, SPAN_ID_BYTES, "parent_span_id", required=False),
    }
    attributes = key_values(span.attributes)
    operation = attributes.get("gen_ai.operation.name")
    operation = operation if isinstance(operation, str) else ""
    event["type"] = kind = _event_type(operation, attributes)

    name = _take(attributes, "gen_ai.tool.name") if kind == "tool_call" else None
    event["name"] = str(name or span.name)[:NAME_LIMIT]
    if kind == "tool_call":
        event["input"] = _maybe_json(_take(attributes, "gen_ai.tool.call.arguments"))
        event["output"] = _maybe_json(_take(attributes, "gen_ai.tool.call.result"))
    elif kind == "message":
        event["input"] = _maybe_json(_take(attributes, "gen_ai.input.messages", "gen_ai.prompt"))
        event["output"] = _maybe_json(_take(attributes, "gen_ai.output.messages", "gen_ai.completion"))

    event["tokens_in"] = _count(_take(attributes, "gen_ai.usage.input_tokens"), "gen_ai.usage.input_tokens")
    event["tokens_out"] = _count(
        _take(attributes, "gen_ai.usage.output_tokens"), "gen_ai.usage.output_tokens"
    )
    for field in ("resource", "rationale", "action_id", "cost_usd"):
        event[field] = _take(attributes, f"agentgov.{field}")

    failed = span.status.code == Status.STATUS_CODE_ERROR or "error.type" in attributes
    event["status"] = "error" if failed else "ok"
    event["occurred_at"] = _timestamp(span.start_time_unix_nano)
    if span.start_time_unix_nano and span.end_time_unix_nano >= span.start_time_unix_nano:
        event["duration_ms"] = (span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000
    event["attributes"] = {**attributes, **shared, **_span_context(span)}
    # Unset fields stay unset, as an agent posting JSON would leave them out.
    return {key: value for key, value in event.items() if value is not None}


def spans_of(request) -> "list[tuple[Span, dict[str, Any]]]":
    """Every span of an ExportTraceServiceRequest with its scope's shared context, in order."""
    found = []
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            shared = shared_context(resource, scope)
            found.extend((span, shared) for span in scope.spans)
    return found

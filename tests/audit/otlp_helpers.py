"""Building OTLP trace exports in tests, the way an OpenTelemetry SDK would."""

import os
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")


def value(python: Any) -> AnyValue:
    if isinstance(python, bool):
        return AnyValue(bool_value=python)
    if isinstance(python, int):
        return AnyValue(int_value=python)
    if isinstance(python, float):
        return AnyValue(double_value=python)
    if isinstance(python, bytes):
        return AnyValue(bytes_value=python)
    if isinstance(python, list):
        return AnyValue(array_value=ArrayValue(values=[value(item) for item in python]))
    if isinstance(python, dict):
        return AnyValue(kvlist_value=KeyValueList(values=attrs(python)))
    if python is None:
        return AnyValue()
    return AnyValue(string_value=str(python))


def attrs(mapping: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=value(item)) for key, item in mapping.items()]


def make_span(
    name: str = "work",
    *,
    span_id: bytes | None = None,
    parent: bytes = b"",
    trace_id: bytes = TRACE_ID,
    attributes: dict | None = None,
    error: bool = False,
    start_ns: int | None = None,
    duration_ms: float = 12.5,
    **fields,
) -> Span:
    start = start_ns if start_ns is not None else time.time_ns() - 60_000_000_000
    return Span(
        trace_id=trace_id,
        span_id=span_id if span_id is not None else os.urandom(8),
        parent_span_id=parent,
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration_ms * 1_000_000),
        attributes=attrs(attributes or {}),
        status=Status(code=Status.STATUS_CODE_ERROR, message="boom") if error else Status(),
        **fields,
    )


def export(*spans: Span, service: str = "support-bot") -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource={"attributes": attrs({"service.name": service})},
                scope_spans=[ScopeSpans(scope={"name": "agent.sdk", "version": "1.2"}, spans=list(spans))],
            )
        ]
    )


def tool_span(tool: str = "search_orders", **kwargs) -> Span:
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.call.arguments": '{"customer": "c-42"}',
        "gen_ai.tool.call.result": '{"orders": 3}',
        **kwargs.pop("attributes", {}),
    }
    return make_span(f"execute_tool {tool}", attributes=attributes, **kwargs)

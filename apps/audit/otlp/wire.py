"""OTLP/HTTP on the wire: request bodies in, responses out, in protobuf or JSON.

Follows https://opentelemetry.io/docs/specs/otlp/#otlphttp: the response uses the request's
encoding; failures carry a `google.rpc.Status`; in JSON, trace and span ids are hex strings
(not base64 as protobuf's own JSON mapping would have them) and unknown fields are ignored.
"""

import base64
import json
import zlib
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from pydantic_core import from_json

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = {PROTOBUF: PROTOBUF, "application/protobuf": PROTOBUF, JSON: JSON}
# zlib window bits per Content-Encoding: gzip header, zlib header (HTTP's "deflate").
DECOMPRESSORS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
ID_FIELDS = ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id")

# google.rpc.Status codes used here (https://github.com/googleapis/googleapis, rpc/code.proto).
RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8}
RPC_INTERNAL = 13


class Malformed(ValueError):
    """The body cannot be read as an OTLP trace export; nothing was stored (400)."""


class TooLarge(ValueError):
    """The body (after decompression) is over the size limit (413)."""


class UnsupportedEncoding(ValueError):
    """A Content-Type or Content-Encoding we do not speak (415)."""


def media_type_of(content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    if base not in MEDIA_TYPES:
        raise UnsupportedEncoding(
            f"Content-Type {base or '(none)'!r} is not OTLP/HTTP; send {PROTOBUF} or {JSON}"
        )
    return MEDIA_TYPES[base]


def decompress(body: bytes, content_encoding: str, limit: int) -> bytes:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in DECOMPRESSORS:
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    inflater = zlib.decompressobj(DECOMPRESSORS[encoding])
    try:
        # max_length bounds memory: a small bomb cannot expand past the limit.
        plain = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise Malformed(f"the body is not valid {encoding}: {exc}") from None
    if len(plain) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"the decompressed body is over {limit / (1024 * 1024):g} MiB")
    return plain


def parse_request(body: bytes, media_type: str) -> ExportTraceServiceRequest:
    if media_type == PROTOBUF:
        try:
            return ExportTraceServiceRequest.FromString(body)
        except DecodeError as exc:
            raise Malformed(f"the body is not an OTLP ExportTraceServiceRequest in protobuf: {exc}") from None
    try:
        document = from_json(body, allow_inf_nan=False, cache_strings=False)
    except ValueError as exc:
        raise Malformed(f"the body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise Malformed('the body must be a JSON object like {"resourceSpans": [...]}')
    _hex_ids_to_base64(document)
    try:
        return json_format.ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise Malformed(f"the body is not an OTLP ExportTraceServiceRequest in JSON: {exc}") from None


def _hex_ids_to_base64(document: dict) -> None:
    """OTLP/JSON writes ids as hex; json_format reads bytes as base64. Convert in place."""
    for r, resource in enumerate(_items(document, "resourceSpans", "resource_spans")):
        for s, scope in enumerate(_items(resource, "scopeSpans", "scope_spans")):
            for i, span in enumerate(_items(scope, "spans")):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]"
                _convert_ids(span, where)
                for k, link in enumerate(_items(span, "links")):
                    _convert_ids(link, f"{where}.links[{k}]")


def _items(container: Any, *keys: str) -> list:
    if not isinstance(container, dict):
        return []
    for key in keys:
        value = container.get(key)
        if isinstance(value, list):
            return value
    return []


def _convert_ids(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        return
    for key in ID_FIELDS:
        value = item.get(key)
        if not isinstance(value, str):
            continue  # a wrong type is named by json_format's own error
        try:
            item[key] = base64.b64encode(bytes.fromhex(value)).decode()
        except ValueError:
            raise Malformed(f"{where}.{key} must be a hex string, got {value[:40]!r}") from None


def export_response(rejected_spans: int, error_message: str) -> ExportTraceServiceResponse:
    response = ExportTraceServiceResponse()
    if rejected_spans or error_message:  # the spec: leave partial_success unset on full success
        response.partial_success.rejected_spans = rejected_spans
        response.partial_success.error_message = error_message
    return response


def encode_response(response: ExportTraceServiceResponse, media_type: str) -> bytes:
    if media_type == PROTOBUF:
        return response.SerializeToString()
    return json_format.MessageToJson(response, indent=None).encode()


def encode_status(http_status: int, message: str, media_type: str) -> bytes:
    """A google.rpc.Status body. Written by hand (fields 1: code, 2: message) so the server
    needs only opentelemetry-proto, not googleapis-common-protos."""
    code = RPC_CODES.get(http_status, RPC_INTERNAL)
    if media_type != PROTOBUF:
        return json.dumps({"code": code, "message": message}).encode()
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)

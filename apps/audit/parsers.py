"""A JSON parser for agent payloads: size-capped, and strict about NaN, Infinity and nesting."""

from django.conf import settings
from pydantic_core import from_json
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request body too large"


def _too_large() -> PayloadTooLarge:
    limit_mib = settings.AUDIT_MAX_BODY_BYTES / (1024 * 1024)
    return PayloadTooLarge(
        f"request body is over {limit_mib:g} MiB; send at most {settings.AUDIT_MAX_BATCH_EVENTS:,} smaller events per batch"
    )


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.AUDIT_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_large()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise _too_large()
        if not body.strip():
            raise exceptions.ParseError('the body is empty; send an event object or {"events": [...]}')
        try:
            # jiter (pydantic-core) refuses NaN/Infinity here and has its own recursion limit.
            return from_json(body, allow_inf_nan=False, cache_strings=False)
        except ValueError as exc:
            raise exceptions.ParseError(f"the body is not valid JSON: {exc}") from None

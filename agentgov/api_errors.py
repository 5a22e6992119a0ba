"""One place that shapes every API error as `{"error": ..., "field": ...}`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from agentgov.errors import ApplicationError


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        return _first_message(next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def _field_errors_body(errors: dict) -> dict:
    field = next(iter(errors), None)
    message = _first_message(errors[field]) if field is not None else "invalid input"
    if field in (None, "non_field_errors", "__all__"):
        return {"error": message, "field": None, "errors": errors}
    return {"error": f"{field}: {message}", "field": field, "errors": errors}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"error": exc.message, "field": exc.field}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return Response(_field_errors_body(errors), status=status.HTTP_400_BAD_REQUEST)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = _field_errors_body(_plain(detail))
    else:
        detail = (
            response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        )
        response.data = {"error": _first_message(detail), "field": None}
    return response


def _plain(detail):
    """ErrorDetail objects → plain strings, so the JSON stays simple."""
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)

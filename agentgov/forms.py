"""Turning a service's refusal into form errors, for every page that writes."""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from agentgov.errors import ApplicationError

T = TypeVar("T")


def _field_for(form: forms.Form, name: str | None) -> str | None:
    # Services name their own inputs; a form may call one differently (e.g. the
    # version's `label` is the deploy form's `version`).
    aliases: dict[str, str] = getattr(form, "service_field_aliases", {})
    name = aliases.get(name or "", name)
    return name if name in form.fields else None


def call_service(form: forms.Form, service: Callable[..., T], **kwargs: Any) -> T | None:
    """Call `service`; on a refusal, add its message to `form` and return None.

    Services are atomic, so a refusal leaves nothing half-written behind it.
    """
    try:
        return service(**kwargs)
    except ApplicationError as exc:
        form.add_error(_field_for(form, exc.field), exc.message)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                field = None if name == NON_FIELD_ERRORS else _field_for(form, name)
                for error in errors:
                    # A field the form does not show still needs its name in the message.
                    message = " ".join(error.messages)
                    if field is None and name != NON_FIELD_ERRORS:
                        message = f"{name}: {message}"
                    form.add_error(field, message)
        else:
            form.add_error(None, exc.messages)
    return None

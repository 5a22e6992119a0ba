"""Refusals that services raise, each with a message a person can act on.

The API's exception handler turns them into `{"error": ..., "field": ...}` JSON with
their status code; page views turn them into form errors.
"""


class ApplicationError(Exception):
    """A request the product refuses; `field` names the input or rule at fault."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(ApplicationError):
    """The request is well-formed but the current state forbids it (e.g. a transition)."""

    status_code = 409


class PermissionRefused(ApplicationError):
    """The actor may not do this, whatever the input."""

    status_code = 403

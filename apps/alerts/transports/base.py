"""What every transport is: a small class that sends one notification or raises."""

from typing import ClassVar

import httpx
from django.conf import settings

from agentgov.errors import ApplicationError


class TransportError(Exception):
    """A notification was not delivered. `permanent`: retrying cannot help (a 404, a
    refused address), so the channel is disabled rather than tried again."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport:
    """Sends notifications to one channel. Subclasses set `kind` and implement `notify`.

    `notify(alert, event, key)` gets the alert (None for a test send), the event (firing,
    resolved, repeat, test) and the notification's key, the same on every attempt.
    """

    kind: ClassVar[str]
    target_help: ClassVar[str] = ""

    def __init__(self, channel) -> None:
        self.channel = channel

    def notify(self, alert, event: str, key: str) -> None:
        raise NotImplementedError

    @classmethod
    def clean_target(cls, target: str) -> str:
        """The target as stored, or ApplicationError(field="target") saying what is wrong."""
        raise NotImplementedError


def clean_http_url(target: str) -> str:
    url = target.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ApplicationError("enter an http:// or https:// URL", field="target")
    return url


# 408 (timeout) and 429 (rate limited) are the receiver asking us to come back later.
_TRY_LATER = {408, 425, 429}


def post(url: str, *, content: bytes, headers: dict[str, str]) -> None:
    """POST with a timeout; sort the failure into temporary (retry) or permanent."""
    try:
        response = httpx.post(
            url,
            content=content,
            headers=headers,
            timeout=settings.ALERTS_HTTP_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
    if response.is_success:
        return
    body = response.text[:200].strip()
    message = f"HTTP {response.status_code}" + (f": {body}" if body else "")
    status = response.status_code
    raise TransportError(message, permanent=400 <= status < 500 and status not in _TRY_LATER)

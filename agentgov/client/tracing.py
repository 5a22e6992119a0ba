"""Traces and spans: which run and step the agent is in, kept in a context variable so it
follows threads started with copied contexts and asyncio tasks.

Ids follow W3C Trace Context (32 hex trace id, 16 hex span id), so they line up with
OpenTelemetry spans of the same agent sent through OTLP.
"""

import secrets
import time
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agentgov.client.errors import ActionDenied

if TYPE_CHECKING:
    from agentgov.client.client import Client


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class SpanContext:
    trace_id: str
    span_id: str
    parent_span_id: str = ""


_current: ContextVar[SpanContext | None] = ContextVar("agentgov_span", default=None)


def current_span() -> SpanContext | None:
    return _current.get()


class Span:
    """A step of a run, recorded as one event when it ends. While it runs, set what the
    event should carry: `span.output = ...` (also input, resource, rationale, tokens_in,
    tokens_out, cost_usd), `span.set(**fields)`, `span.attributes[...]`. An exception escaping
    it marks it `error` (`denied` for ActionDenied) and is re-raised."""

    EVENT_FIELDS = frozenset(
        {"input", "output", "resource", "rationale", "tokens_in", "tokens_out", "cost_usd"}
    )

    def __init__(self, *, client: "Client", name: str, type: str, context: SpanContext, fields: dict) -> None:
        object.__setattr__(self, "fields", dict(fields))
        self.client = client
        self.name = name
        self.type = type
        self.context = context
        self.attributes: dict[str, Any] = dict(self.fields.pop("attributes", None) or {})
        self.status: str = self.fields.pop("status", "ok")
        self._started_at = ""
        self._started = 0.0
        self._token: Token | None = None

    @property
    def trace_id(self) -> str:
        return self.context.trace_id

    @property
    def span_id(self) -> str:
        return self.context.span_id

    def set(self, **event_fields: Any) -> "Span":
        self.fields.update(event_fields)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.EVENT_FIELDS:
            self.fields[name] = value
        else:
            object.__setattr__(self, name, value)

    def __enter__(self) -> "Span":
        self._started_at = now_rfc3339()
        self._started = time.perf_counter()
        self._token = _current.set(self.context)
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        duration_ms = (time.perf_counter() - self._started) * 1000
        if self._token is not None:
            _current.reset(self._token)
        if exc is not None:
            self.status = "denied" if isinstance(exc, ActionDenied) else "error"
            self.attributes.setdefault("error.type", type(exc).__name__)
            self.attributes.setdefault("error.message", str(exc)[:2000])
        recorded = {
            **self.fields,
            "status": self.status,
            "occurred_at": self._started_at,
            "duration_ms": duration_ms,
            "trace_id": self.context.trace_id,
            "span_id": self.context.span_id,
            "parent_span_id": self.context.parent_span_id,
            "attributes": self.attributes,
        }
        self.client.event(self.type, name=self.name, **recorded)
        return False  # never swallow the agent's exception

    async def __aenter__(self) -> "Span":
        return self.__enter__()

    async def __aexit__(self, exc_type, exc, traceback) -> bool:
        return self.__exit__(exc_type, exc, traceback)


def child_context(*, new_trace: bool) -> SpanContext:
    """A fresh span under the current one, or the root of a new trace."""
    parent = None if new_trace else _current.get()
    if parent is None:
        return SpanContext(trace_id=new_trace_id(), span_id=new_span_id())
    return SpanContext(trace_id=parent.trace_id, span_id=new_span_id(), parent_span_id=parent.span_id)

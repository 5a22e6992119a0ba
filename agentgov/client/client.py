"""`Client`: what an agent holds to talk to agentgov."""

import atexit
import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from agentgov.client import governed as governance
from agentgov.client.jsonsafe import dumps, jsonable
from agentgov.client.sender import RetryPolicy, Sender, Stats, problem_of
from agentgov.client.tracing import Span, child_context, current_span, now_rfc3339

log = logging.getLogger("agentgov.client")

EVENT_TYPES = frozenset({"decision", "tool_call", "action", "message", "error", "log"})
HEARTBEATS_PATH = "/api/v1/heartbeats/"
USER_AGENT = "agentgov-client/0.1"


class Client:
    """One per agent process. Thread-safe; `event()` never blocks for long.

    >>> client = Client("https://agentgov.example.com", api_key="agk_...")
    >>> with client.trace("answer ticket 4812"):
    ...     client.decision(chosen="refund", alternatives=["refund", "escalate"], rationale="double charge")
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_queue: int = 10_000,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        max_retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
        close_timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.close_timeout = close_timeout
        retry = RetryPolicy(max_retries=max_retries, backoff=backoff, max_backoff=max_backoff)
        # Two connection pools: the sender thread's batches never queue behind a long poll.
        self._http = self._http_client(api_key, timeout)
        self._sender = Sender(
            self._http_client(api_key, timeout),
            max_queue=max_queue,
            batch_size=batch_size,
            flush_interval=flush_interval,
            retry=retry,
        )
        self._gate = governance.Gate(self._http, retry)
        self._closed = False
        self._heartbeat_failing = False
        atexit.register(self._close_at_exit)

    def _http_client(self, api_key: str, timeout: float) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
            timeout=timeout,
        )

    # -- events ----------------------------------------------------------------------------

    def event(self, type: str, name: str = "", **fields: Any) -> str | None:
        """Record an event (fields as in POST /api/v1/events/). Inside a span it carries the
        span's trace and span ids. Returns the event id, or None if it had to be dropped."""
        if type not in EVENT_TYPES:
            raise ValueError(f"event type must be one of {sorted(EVENT_TYPES)}, got {type!r}")
        span = current_span()
        event = {"id": uuid.uuid4().hex, "type": type, "occurred_at": now_rfc3339()}
        if name:
            event["name"] = name
        if span is not None:
            event.update(trace_id=span.trace_id, span_id=span.span_id)
            if span.parent_span_id:
                event["parent_span_id"] = span.parent_span_id
        event.update({key: value for key, value in fields.items() if not _empty(value)})
        return event["id"] if self._sender.put(dumps(event)) else None

    def decision(
        self,
        *,
        chosen: str,
        alternatives: "list[str | dict] | None" = None,
        rationale: str = "",
        name: str = "",
        **fields: Any,
    ) -> str | None:
        """Record a decision: what was chosen among which options, and why. Alternatives are
        option strings or {"option", "score", "reason"} dicts."""
        options = [item if isinstance(item, dict) else {"option": str(item)} for item in alternatives or []]
        return self.event(
            "decision",
            name=name,
            chosen=str(chosen),
            alternatives=options or None,
            rationale=rationale or None,
            **fields,
        )

    # -- traces ----------------------------------------------------------------------------

    def trace(self, name: str, *, type: str = "action", **fields: Any) -> Span:
        """A new run: a root span with a fresh trace id, whatever span is current."""
        return self._span(name, type, fields, new_trace=True)

    def span(self, name: str, *, type: str = "action", **fields: Any) -> Span:
        """A step inside the current span (or a new trace if there is none)."""
        return self._span(name, type, fields, new_trace=False)

    def _span(self, name: str, type: str, fields: dict, *, new_trace: bool) -> Span:
        if type not in EVENT_TYPES:
            raise ValueError(f"span type must be one of {sorted(EVENT_TYPES)}, got {type!r}")
        return Span(
            client=self, name=name, type=type, context=child_context(new_trace=new_trace), fields=fields
        )

    # -- governance ------------------------------------------------------------------------

    def governed(
        self,
        action: str,
        resource: "str | Callable[[dict], str]" = "",
        *,
        wait_timeout: float = 300.0,
        rationale: str | None = None,
    ) -> Callable:
        """Decorate a tool function (sync or async) so it runs only when agentgov allows it;
        raises ActionDenied with the reason otherwise. See agentgov.client.governed."""
        return governance.governed(
            self._gate, action, resource, wait_timeout=wait_timeout, rationale=rationale
        )

    # -- health ----------------------------------------------------------------------------

    def heartbeat(
        self, status: str | None = None, message: str | None = None, metrics: dict | None = None
    ) -> bool:
        """Tell agentgov this agent is alive. Sent now (not queued); never raises: a lost
        heartbeat is what the health check is there to notice. True if agentgov took it."""
        body = {
            key: value
            for key, value in (("status", status), ("message", message), ("metrics", jsonable(metrics)))
            if value is not None
        }
        try:
            response = self._http.post(HEARTBEATS_PATH, json=body)
        except httpx.TransportError as exc:
            return self._heartbeat_failed(f"not sent: {exc}")
        if response.status_code >= 400:
            return self._heartbeat_failed(f"refused with HTTP {response.status_code}: {problem_of(response)}")
        if self._heartbeat_failing:
            log.warning("agentgov: heartbeats are getting through again")
        self._heartbeat_failing = False
        return True

    def _heartbeat_failed(self, problem: str) -> bool:
        # Once per outage at warning level: an agent beating every 15 s must not flood its log.
        log.log(
            logging.DEBUG if self._heartbeat_failing else logging.WARNING, "agentgov: heartbeat %s", problem
        )
        self._heartbeat_failing = True
        return False

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        """A snapshot of the sender's counters (queued, sent, dropped, rejected, failed, ...)."""
        return Stats(**self._sender.stats.as_dict())

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event recorded so far is sent (or given up). False on timeout."""
        return self._sender.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Flush (up to `timeout`, default close_timeout) and stop. Events after this are dropped."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._close_at_exit)
        self._sender.close(self.close_timeout if timeout is None else timeout)
        self._http.close()

    def _close_at_exit(self) -> None:
        try:
            self.close()
        except Exception:  # at exit, logging is all that is left to do
            log.exception("agentgov: error while flushing at exit")

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _empty(value: Any) -> bool:
    """Left out of the event: the server's default is the same. (An empty list or dict input
    is kept: it says something a missing one does not.)"""
    return value is None or (isinstance(value, str) and not value)

"""Events for monitoring tests, stored through ingestion as agents send them."""

from datetime import datetime, timedelta
from itertools import count

from apps.audit.ingest import events_ingest

_ids = count()


def report(
    agent,
    *,
    at: datetime,
    n: int,
    name: str = "github.read",
    type: str = "tool_call",
    status: str = "ok",
    duration_ms: float | None = 200.0,
    spacing: timedelta = timedelta(minutes=1),
    cost_usd: float | None = None,
    tokens: int | None = None,
) -> None:
    """`n` events of one kind, `spacing` apart, ending just before `at`."""
    events = []
    for i in range(n):
        event = {
            "id": f"t-{next(_ids)}",
            "type": type,
            "name": name,
            "status": status,
            "occurred_at": (at - spacing * (i + 1)).isoformat(),
        }
        if duration_ms is not None:
            event["duration_ms"] = duration_ms
        if cost_usd is not None:
            event["cost_usd"] = cost_usd
        if tokens is not None:
            event["tokens_in"] = tokens
        events.append(event)
    for start in range(0, len(events), 1000):
        events_ingest(agent=agent, body={"events": events[start : start + 1000]})

"""Keyset pagination over the audit trail, newest first.

The trail only grows, so pages are cut at `(occurred_at, id)` instead of by OFFSET, and
no page ever asks the database for COUNT(*).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet

from apps.audit.models import AuditEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(event: AuditEvent) -> str:
    # Integer microseconds: exact (a float timestamp is not) and safe in a URL as is.
    return f"{(event.occurred_at - _EPOCH) // _MICROSECOND}-{event.pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raise ValueError for anything that is not a cursor `encode_cursor` wrote."""
    micros, _, pk = cursor.partition("-")
    if micros.isdigit() and pk.isdigit():
        try:
            return _EPOCH + int(micros) * _MICROSECOND, int(pk)
        except OverflowError:
            pass
    raise ValueError(f"not a page cursor: {cursor!r}")


@dataclass
class KeysetPage:
    events: list[AuditEvent]
    next_cursor: str | None  # older events continue from here; None on the last page


def page_before(queryset: QuerySet[AuditEvent], cursor: str | None, size: int) -> KeysetPage:
    """The `size` newest events strictly older than `cursor` (the newest when None)."""
    if cursor:
        occurred_at, pk = decode_cursor(cursor)
        # The first condition is implied by the second; it is there because an index can
        # start its scan at it, where the OR alone makes the database read every newer row.
        queryset = queryset.filter(occurred_at__lte=occurred_at).filter(
            Q(occurred_at__lt=occurred_at) | Q(occurred_at=occurred_at, pk__lt=pk)
        )
    # One row more than is shown tells whether an older page exists, without counting.
    rows = list(queryset.order_by("-occurred_at", "-id")[: size + 1])
    events = rows[:size]
    return KeysetPage(events=events, next_cursor=encode_cursor(events[-1]) if len(rows) > size else None)

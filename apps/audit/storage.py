"""How a batch of events reaches the table. On PostgreSQL, COPY is the fast path for
ingestion; `AUDIT_INGEST_INSERT` picks another for comparison (see tests/perf)."""

from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb

from agentgov.rows import RowWriter
from apps.audit.chain import compact_json
from apps.audit.models import AuditEvent

INSERT_METHODS = ("copy", "executemany", "bulk_create")
# Under this many rows, a prepared INSERT beats COPY on PostgreSQL: COPY costs a round trip
# of its own to start, and its statement is never prepared (single events are most requests).
COPY_MIN_ROWS = 8


# Every column but the id, in one order, for every way rows reach the table; and the insert
# of one event whose id its caller needs (each audited change).
EVENT_ROW = RowWriter(AuditEvent)


@cache
def _defaults() -> tuple[dict, tuple[models.Field, ...]]:
    """Fixed column defaults, and the fields whose default is computed per row."""
    fixed, computed = {}, []
    for f in EVENT_ROW.fields:
        if f.has_default() and callable(f.default):
            computed.append(f)
        else:
            fixed[f.attname] = f.get_default()
    return fixed, tuple(computed)


def pending_event(**columns) -> SimpleNamespace:
    """An event row not stored yet, without the cost of a model instance (ingestion builds
    thousands a second). Columns are attnames (`agent_id`); unset ones take the model's
    defaults. `event_hash`, `events_insert` and the chain accept it like an AuditEvent."""
    fixed, computed = _defaults()
    row = {**fixed, **{f.attname: f.get_default() for f in computed if f.attname not in columns}}
    row.update(columns)
    return SimpleNamespace(**row)


def _json_text(value) -> str:
    return compact_json(value).decode()


def _rows(events: Sequence[AuditEvent], fields: list[models.Field], *, json_as_text: bool):
    """Each event as a row of column values. COPY's text format takes JSON as text, which
    skips psycopg's Python-level JSON dumper (most of a row's cost); parameters need Jsonb."""
    now = timezone.now()
    as_json = _json_text if json_as_text else Jsonb
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    for event in events:
        event.recorded_at = now
        yield [
            (as_json(value) if value is not None else None) if name in json_fields else value
            for name, value in ((f.attname, getattr(event, f.attname)) for f in fields)
        ]


def insert_method(rows: int) -> str:
    chosen = settings.AUDIT_INGEST_INSERT
    if chosen == "auto":
        if connection.vendor != "postgresql":
            return "bulk_create"
        return "copy" if rows >= COPY_MIN_ROWS else "executemany"
    if chosen not in INSERT_METHODS:
        raise ValueError(f"AUDIT_INGEST_INSERT={chosen!r}; use auto or one of {', '.join(INSERT_METHODS)}")
    if chosen != "bulk_create" and connection.vendor != "postgresql":
        return "bulk_create"
    return chosen


def events_insert(events: Sequence[AuditEvent]) -> None:
    """Store events whose ids the caller does not need back (COPY returns none)."""
    method = insert_method(len(events))
    if method == "bulk_create":
        AuditEvent.objects.bulk_create(
            [e if isinstance(e, AuditEvent) else AuditEvent(**vars(e)) for e in events]
        )
        return
    fields = EVENT_ROW.fields
    with connection.cursor() as cursor:
        if method == "copy":
            table = connection.ops.quote_name(AuditEvent._meta.db_table)
            with cursor.copy(f"COPY {table} ({EVENT_ROW.columns(connection)}) FROM STDIN") as copy:
                for row in _rows(events, fields, json_as_text=True):
                    copy.write_row(row)
        else:
            insert = EVENT_ROW.statement(connection, returning=False)
            rows = list(_rows(events, fields, json_as_text=False))
            if len(rows) == 1:
                cursor.execute(insert, rows[0])  # executemany would open a pipeline for it
            else:
                cursor.executemany(insert, rows)

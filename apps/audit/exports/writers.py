"""Writing audit events as CSV or JSON Lines, streamed: one batch of rows in memory at a time.

The lines come from PostgreSQL's COPY (`postgresql.py`, the fast path) or are formatted here
from ORM rows (any database); both write the same CSV bytes and the same JSON values. The
columns are fixed and documented in docs/auditor-guide.md; append new ones at the end.
"""

import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import BinaryIO

from django.db import connections
from django.db.models import QuerySet

from apps.audit.models import AuditEvent

COLUMNS = (
    "uuid",
    "occurred_at",
    "agent",
    "actor_type",
    "actor_label",
    "type",
    "name",
    "status",
    "resource",
    "trace_id",
    "span_id",
    "parent_span_id",
    "action_id",
    "rationale",
    "chosen",
    "duration_ms",
    "cost_usd",
    "tokens_in",
    "tokens_out",
    "input",
    "output",
    "attributes",
    "alternatives",
    "redactions",
    "seq",
    "prev_hash",
    "hash",
    # After the hash: what changes made in agentgov carry, and where a person came from.
    "data",
    "source_ip",
)
SOURCES = {"agent": "agent__slug"}  # column → ORM path, where they differ
JSON_COLUMNS = frozenset({"input", "output", "attributes", "alternatives", "redactions", "data"})
_UUID, _OCCURRED_AT, _COST = COLUMNS.index("uuid"), COLUMNS.index("occurred_at"), COLUMNS.index("cost_usd")
_JSON_INDEXES = tuple(COLUMNS.index(column) for column in COLUMNS if column in JSON_COLUMNS)

BATCH_ROWS = 2000


def event_rows(events: QuerySet[AuditEvent]) -> Iterator[tuple]:
    """The events as value tuples in COLUMNS order, oldest first, fetched in chunks (a
    server-side cursor on PostgreSQL), so memory stays flat whatever the size."""
    paths = [SOURCES.get(column, column) for column in COLUMNS]
    return events.order_by("occurred_at", "id").values_list(*paths).iterator(chunk_size=BATCH_ROWS)


def _timestamp(value: datetime) -> str:
    # The chain's canonical form: UTC, microseconds, Z.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(row: tuple) -> list:
    """uuid, time and cost as text (a cost keeps its exact decimal digits)."""
    values = list(row)
    values[_UUID] = str(values[_UUID])
    values[_OCCURRED_AT] = _timestamp(values[_OCCURRED_AT])
    cost = values[_COST]
    if isinstance(cost, Decimal):
        values[_COST] = format(cost, "f")
    return values


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# A JSON column in a CSV cell as PostgreSQL prints jsonb, so both paths write the same bytes.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _float_text(value: float) -> str:
    # As PostgreSQL prints a double: no ".0" on whole numbers.
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _csv_field(value) -> str:
    if value is None:
        return ""
    text = _float_text(value) if isinstance(value, float) else str(value)
    return '"' + text.replace('"', '""') + '"'


class CsvEncoder:
    """CSV with a header row and "\n" line ends; every value quoted and null an empty field
    (so null and "" differ), as PostgreSQL's COPY ... FORCE_QUOTE * writes it. JSON columns
    hold JSON text."""

    def header(self) -> str:
        return ",".join(_csv_field(column) for column in COLUMNS) + "\n"

    def encode(self, rows: list[tuple]) -> str:
        lines = []
        for row in rows:
            values = _plain(row)
            for index in _JSON_INDEXES:
                if values[index] is not None:
                    values[index] = _json_text(values[index])
            lines.append(",".join([_csv_field(value) for value in values]))
        return "\n".join(lines) + "\n"


class JsonLinesEncoder:
    """One JSON object per line with the CSV's keys in the same order; JSON columns nested."""

    def header(self) -> str:
        return ""

    def encode(self, rows: list[tuple]) -> str:
        return "".join([_compact(dict(zip(COLUMNS, _plain(row), strict=True))) + "\n" for row in rows])


ENCODERS = {"csv": CsvEncoder, "jsonl": JsonLinesEncoder}


@dataclass(frozen=True)
class Written:
    rows: int
    sha256: str
    size: int


def python_chunks(events: QuerySet[AuditEvent], data_format: str) -> Iterator[tuple[bytes, int, bool]]:
    """(lines, how many, True) per batch, formatted in Python: any database. The chunked
    fetch leaves the connection free between batches."""
    encoder = ENCODERS[data_format]()
    rows = event_rows(events)
    while batch := list(islice(rows, BATCH_ROWS)):
        yield encoder.encode(batch).encode(), len(batch), True


def _chunks(events: QuerySet[AuditEvent], data_format: str) -> Iterator[tuple[bytes, int, bool]]:
    if events.db and connections[events.db].vendor == "postgresql":
        from apps.audit.exports import postgresql

        return postgresql.line_chunks(events, data_format)
    return python_chunks(events, data_format)


class _BackgroundWriter:
    """Hashes and writes (the zip compresses) in a thread of its own, so that work overlaps
    with reading from the database; at most QUEUED batches wait, so memory stays flat."""

    QUEUED = 2

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUED)
        self._thread = threading.Thread(target=self._run, name="audit-export-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self.error is None:  # after a failure, drain so the producer never blocks
                try:
                    self.digest.update(data)
                    self.out.write(data)
                    self.size += len(data)
                except BaseException as exc:
                    self.error = exc

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error


def write_events(
    events: QuerySet[AuditEvent],
    out: BinaryIO,
    *,
    data_format: str,
    on_batch: Callable[[int], None] | None = None,
) -> Written:
    """Write `events` to `out` as `data_format`, oldest first, one batch in memory at a time,
    hashing the bytes as they are written. `on_batch` hears the running row count whenever
    the connection is free for it to write progress."""
    sink, count = _BackgroundWriter(out), 0
    try:
        sink.write(ENCODERS[data_format]().header().encode())
        for data, rows, connection_free in _chunks(events, data_format):
            sink.write(data)
            count += rows
            if on_batch is not None and connection_free:
                on_batch(count)
    finally:
        sink.close()
    return Written(rows=count, sha256=sink.digest.hexdigest(), size=sink.size)

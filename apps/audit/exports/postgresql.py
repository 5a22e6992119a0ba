"""The fast path on PostgreSQL: the events come out of COPY as text, never as Python objects.

Decoding every JSON column into Python and encoding it again costs more than all the rest
of an export. Here COPY streams each event as text: a finished CSV record, or tab-separated
fields that become a JSON object by string joins (a JSON column's text is already JSON).
The filters are still the Django queryset's: its SQL is the inner query. COPY holds the
connection while it runs, so the events go in keyset-ordered chunks, one COPY each, and
progress is written between them (on the same connection, so it also sees the caller's
transaction). Memory stays flat: rows are passed on in small batches as they arrive.
"""

import re
from collections.abc import Iterator
from json.encoder import encode_basestring as _json_string  # C-accelerated

from django.db import connections
from django.db.models import QuerySet

from apps.audit.exports.writers import BATCH_ROWS, COLUMNS, JSON_COLUMNS, SOURCES
from apps.audit.models import AuditEvent

CHUNK_ROWS = 50_000

_TIMESTAMP = """to_char(r."occurred_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
_ORDER = 'ORDER BY r."occurred_at", r."_id"'
# NULL is an empty field, anything else is quoted: byte for byte what CsvEncoder writes.
_CSV = "(FORMAT csv, FORCE_QUOTE *)"


def _column(name: str) -> str:
    if name == "occurred_at":
        return f'{_TIMESTAMP} AS "{name}"'
    if name == "cost_usd":
        return f'r."{name}"::text AS "{name}"'  # a JSON string: the decimal keeps its digits
    return f'r."{name}" AS "{name}"'


def _source(events: QuerySet[AuditEvent]) -> tuple[str, list]:
    paths = [SOURCES.get(column, column) for column in COLUMNS]
    inner, params = events.order_by().values_list(*paths, "id").query.get_compiler(using=events.db).as_sql()
    aliases = ", ".join(f'"{column}"' for column in (*COLUMNS, "_id"))
    return f"({inner}) AS r({aliases})", list(params)


def _after(lower) -> tuple[str, list]:
    return ('WHERE (r."occurred_at", r."_id") > (%s, %s)', list(lower)) if lower else ("", [])


def _copy_statement(source: str, data_format: str, where: str) -> str:
    # The LIMIT (the chunk's size, which the bounds already ensure) makes the planner walk
    # an index in order instead of sorting, so rows stream out as they are read.
    columns = ", ".join(_column(column) for column in COLUMNS)
    query = f"SELECT {columns} FROM {source} {where} {_ORDER} LIMIT {int(CHUNK_ROWS)}"
    return f"COPY ({query}) TO STDOUT {_CSV if data_format == 'csv' else ''}"


# COPY's text format: tab-separated, \N for NULL, these escapes in values.
_NULL = "\\N"
_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}
_escaped = re.compile(r"\\(.)")
# Numbers and JSON columns are already JSON as PostgreSQL prints them; the rest are strings.
_VERBATIM = frozenset({*JSON_COLUMNS, "duration_ms", "tokens_in", "tokens_out", "seq"})
_MEMBERS = [(f'"{column}":', column in _VERBATIM) for column in COLUMNS]


def _unescape(match: re.Match) -> str:
    return _UNESCAPE[match.group(1)]


def json_line(copy_row: str) -> str:
    """One COPY text row (without its line end) as a JSON object, COLUMNS as keys in order."""
    members = []
    for (key, verbatim), field in zip(_MEMBERS, copy_row.split("\t"), strict=True):
        if field == _NULL:
            members.append(key + "null")
            continue
        if "\\" in field:
            field = _escaped.sub(_unescape, field)
        members.append(key + (field if verbatim else _json_string(field)))
    return "{" + ",".join(members) + "}\n"


def _join(rows: list, data_format: str) -> bytes:
    if data_format == "csv":
        return b"".join(rows)
    return "".join([json_line(str(row, "utf-8")[:-1]) for row in rows]).encode()


def line_chunks(events: QuerySet[AuditEvent], data_format: str) -> Iterator[tuple[bytes, int, bool]]:
    """(lines, how many, whether the connection is free for other queries) per batch."""
    connection = connections[events.db]
    source, params = _source(events)
    lower = None
    while True:
        where, bounds = _after(lower)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT r."occurred_at", r."_id" FROM {source} {where} {_ORDER} OFFSET %s LIMIT 1',
                [*params, *bounds, CHUNK_ROWS - 1],
            )
            upper = cursor.fetchone()
        if upper is not None:
            where = f'{where or "WHERE TRUE"} AND (r."occurred_at", r."_id") <= (%s, %s)'
            bounds = [*bounds, *upper]
        batch: list = []
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(_copy_statement(source, data_format, where), [*params, *bounds]) as copy,
        ):
            for row in copy:
                batch.append(row)
                if len(batch) == BATCH_ROWS:
                    yield _join(batch, data_format), len(batch), False
                    batch = []
        yield _join(batch, data_format), len(batch), True
        if upper is None:
            return
        lower = upper

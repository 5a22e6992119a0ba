"""Walking the hash chains to prove the trail is whole and untouched."""

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import orjson
from django.db import connection, connections
from django.utils import timezone

from apps.audit.chain import GENESIS_HASH, HASHED_FIELDS, agent_id_of, chain_key, row_hash
from apps.audit.checkpoints import checkpoint_is_authentic
from apps.audit.models import AuditEvent, ChainCheckpoint, ChainHead, CheckpointKind, IntegrityCheck


@dataclass
class ChainReport:
    key: str
    events: int = 0
    problem: str = ""


@dataclass
class VerificationReport:
    scope: str
    chains: list[ChainReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(chain.problem for chain in self.chains)

    @property
    def events(self) -> int:
        return sum(chain.events for chain in self.chains)

    @property
    def first_problem(self) -> str:
        return next((chain.problem for chain in self.chains if chain.problem), "")


CHUNK = 5000
_COLUMNS = (*HASHED_FIELDS, "hash")
_JSON_COLUMNS = [
    index
    for index, name in enumerate(_COLUMNS)
    if AuditEvent._meta.get_field(name).get_internal_type() == "JSONField"
]


def _load_times_in_c(cursor) -> None:
    """Django parses timestamptz with a Python subclass of psycopg's loader (to pick the
    time zone); psycopg's own loader is compiled and several times faster. Time zones do
    not matter here: the canonical form turns every time into UTC."""
    from psycopg import adapters, postgres
    from psycopg.pq import Format

    oid = postgres.types["timestamptz"].oid
    cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))


def _chain_rows(agent_id: int | None, after_seq: int, *, raw: bool | None = None) -> Iterator[dict]:
    """The chain's rows as dicts of the hashed columns, no model instances, so a walk over
    millions of events spends its time hashing rather than building objects.

    On PostgreSQL (`raw`) the rows come from a server-side cursor with JSON parsed by
    orjson: Django's per-value converters were most of a walk's time. Elsewhere, and when
    asked, Django's `values()` gives the same dicts."""
    rows = AuditEvent.objects.in_chain(agent_id).filter(seq__gt=after_seq).order_by("seq")
    if raw is None:
        raw = connection.vendor == "postgresql"
    if not raw:
        yield from rows.values(*_COLUMNS).iterator(chunk_size=CHUNK)
        return
    sql, params = rows.values_list(*_COLUMNS).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        _load_times_in_c(cursor.cursor)
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK):
            for values in chunk:
                values = list(values)
                for index in _JSON_COLUMNS:
                    if values[index] is not None:
                        values[index] = orjson.loads(values[index])
                yield dict(zip(_COLUMNS, values, strict=True))


def _hashes_when_read_portably(agent_id: int | None, seq: int, stored_hash: str) -> bool:
    """A second look before calling a row altered: orjson reads integers beyond 64 bits as
    floats, so such a row hashes true only when read the portable way."""
    row = next(_chain_rows(agent_id, seq - 1, raw=False), None)
    return row is not None and row["seq"] == seq and row_hash(row) == stored_hash


def _latest_checkpoint(key: str, kind: str) -> ChainCheckpoint | None:
    return ChainCheckpoint.objects.filter(key=key, kind=kind).order_by("-seq").first()


def _start(report: ChainReport) -> tuple[int, str]:
    """Where the chain begins: at #1, or after the retention job's signed boundary."""
    boundary = _latest_checkpoint(report.key, CheckpointKind.RETENTION)
    if boundary is None:
        return 1, GENESIS_HASH
    if not checkpoint_is_authentic(boundary):
        report.problem = f"{report.key}: the retention checkpoint at #{boundary.seq} has an invalid signature"
    return boundary.seq + 1, boundary.hash


def _check_tail(report: ChainReport, last_seq: int, last_hash: str) -> None:
    """A cut-off tail: the head row, or a signed checkpoint, knows events past the end."""
    head = ChainHead.objects.filter(key=report.key).first()
    if head is None and last_seq:
        report.problem = f"{report.key}: the chain's head record is missing"
    elif head is not None and (head.seq, head.hash) != (last_seq, last_hash):
        report.problem = (
            f"{report.key}: the chain ends at #{last_seq} but its head says #{head.seq}; "
            "events were removed from the end"
        )
    checkpoint = _latest_checkpoint(report.key, CheckpointKind.PERIODIC)
    if report.problem or checkpoint is None:
        return
    if not checkpoint_is_authentic(checkpoint):
        report.problem = f"{report.key}: the checkpoint at #{checkpoint.seq} has an invalid signature"
    elif checkpoint.seq > last_seq:
        report.problem = (
            f"{report.key}: the chain ends at #{last_seq} but a checkpoint signed at "
            f"{checkpoint.created_at:%Y-%m-%d %H:%M:%S} saw #{checkpoint.seq}; events were removed from the end"
        )


def _verify_chain(agent_id: int | None) -> ChainReport:
    report = ChainReport(key=chain_key(agent_id))
    expected_seq, expected_prev = _start(report)
    if report.problem:
        return report
    signed = dict(
        ChainCheckpoint.objects.filter(key=report.key, kind=CheckpointKind.PERIODIC).values_list(
            "seq", "hash"
        )
    )
    for row in _chain_rows(agent_id, after_seq=expected_seq - 1):
        seq, stored_hash = row["seq"], row["hash"]
        problem = ""
        if seq != expected_seq:
            report.problem = f"{report.key}: event #{expected_seq} is missing (next found is #{seq})"
            return report
        if row["prev_hash"] != expected_prev:
            problem = "does not link to the event before it"
        elif row_hash(row) != stored_hash and not _hashes_when_read_portably(agent_id, seq, stored_hash):
            problem = "its content was altered (hash mismatch)"
        elif signed.get(seq, stored_hash) != stored_hash:
            problem = f"differs from the signed checkpoint at #{seq}; the chain was rewritten"
        if problem:
            report.problem = f"{report.key} event #{seq} ({row['uuid']}, {row['name']}): {problem}"
            return report
        report.events += 1
        expected_seq, expected_prev = expected_seq + 1, stored_hash
    _check_tail(report, expected_seq - 1, expected_prev)
    return report


def _every_chain() -> list[int | None]:
    """Chains known from their heads or from their events: a chain whose head row went
    missing is still walked (and then reported)."""
    from_heads = {agent_id_of(key) for key in ChainHead.objects.values_list("key", flat=True)}
    from_events = set(AuditEvent.objects.order_by().values_list("agent_id", flat=True).distinct())
    return sorted(from_heads | from_events, key=lambda agent_id: (agent_id is None, agent_id or 0))


def _verify_in_parallel(agent_ids: list[int | None], jobs: int) -> list[ChainReport]:
    """Chains are independent, so separate processes walk them, each on its own database
    connection (the parent's are closed first: a forked child must not share a socket)."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return list(pool.map(_verify_chain, agent_ids))


def chains_verify(*, agent=None, jobs: int = 1) -> VerificationReport:
    """Verify one agent's chain, or every chain (in `jobs` processes when more than one);
    the run is kept as an IntegrityCheck."""
    check = IntegrityCheck.objects.create(scope=f"agent:{agent.slug}" if agent else "all chains")
    agent_ids = [agent.pk] if agent is not None else _every_chain()
    # Other processes see only committed rows, and cannot share an in-memory SQLite database.
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    if parallel and jobs > 1 and len(agent_ids) > 1:
        chains = _verify_in_parallel(agent_ids, min(jobs, len(agent_ids)))
    else:
        chains = [_verify_chain(agent_id) for agent_id in agent_ids]
    report = VerificationReport(scope=check.scope, chains=chains)
    IntegrityCheck.objects.filter(pk=check.pk).update(
        finished_at=timezone.now(),
        chains_checked=len(report.chains),
        events_checked=report.events,
        ok=report.ok,
        problem=report.first_problem,
    )
    return report

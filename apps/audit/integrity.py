"""Walking the hash chains to prove the trail is whole and untouched."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils import timezone

from apps.audit.chain import GENESIS_HASH, HASHED_FIELDS, agent_id_of, chain_key, event_hash
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


def _chain_events(agent_id: int | None, after_seq: int) -> Iterator[SimpleNamespace]:
    """The chain's rows as plain records: only the hashed columns, no model instances, so
    a walk over millions of events spends its time hashing rather than building objects."""
    rows = (
        AuditEvent.objects.in_chain(agent_id)
        .filter(seq__gt=after_seq)
        .order_by("seq")
        .values(*HASHED_FIELDS, "hash")
    )
    return (SimpleNamespace(**row) for row in rows.iterator(chunk_size=5000))


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
    for event in _chain_events(agent_id, after_seq=expected_seq - 1):
        where = f"{report.key} event #{event.seq} ({event.uuid}, {event.name})"
        if event.seq != expected_seq:
            report.problem = f"{report.key}: event #{expected_seq} is missing (next found is #{event.seq})"
            return report
        if event.prev_hash != expected_prev:
            report.problem = f"{where}: does not link to the event before it"
            return report
        if event_hash(event) != event.hash:
            report.problem = f"{where}: its content was altered (hash mismatch)"
            return report
        if signed.get(event.seq, event.hash) != event.hash:
            report.problem = (
                f"{where}: differs from the signed checkpoint at #{event.seq}; the chain was rewritten"
            )
            return report
        report.events += 1
        expected_seq, expected_prev = expected_seq + 1, event.hash
    _check_tail(report, expected_seq - 1, expected_prev)
    return report


def _every_chain() -> list[int | None]:
    """Chains known from their heads or from their events: a chain whose head row went
    missing is still walked (and then reported)."""
    from_heads = {agent_id_of(key) for key in ChainHead.objects.values_list("key", flat=True)}
    from_events = set(AuditEvent.objects.order_by().values_list("agent_id", flat=True).distinct())
    return sorted(from_heads | from_events, key=lambda agent_id: (agent_id is None, agent_id or 0))


def chains_verify(*, agent=None) -> VerificationReport:
    """Verify one agent's chain, or every chain; the run is kept as an IntegrityCheck."""
    check = IntegrityCheck.objects.create(scope=f"agent:{agent.slug}" if agent else "all chains")
    agent_ids = [agent.pk] if agent is not None else _every_chain()
    report = VerificationReport(scope=check.scope, chains=[_verify_chain(agent_id) for agent_id in agent_ids])
    IntegrityCheck.objects.filter(pk=check.pk).update(
        finished_at=timezone.now(),
        chains_checked=len(report.chains),
        events_checked=report.events,
        ok=report.ok,
        problem=report.first_problem,
    )
    return report

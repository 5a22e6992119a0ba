"""The only way events leave the trail: the retention job, which keeps chains verifiable."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.chain import agent_id_of
from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditEvent, ChainHead, CheckpointKind, EventType
from apps.audit.services import SYSTEM, record


def _chain_events(key: str):
    return AuditEvent.objects.in_chain(agent_id_of(key))


def _delete_prefix(key: str, last_seq: int) -> int:
    # The append-only trigger lets DELETE through only inside this transaction-local switch.
    agent_id = agent_id_of(key)
    where, params = ("agent_id IS NULL", []) if agent_id is None else ("agent_id = %s", [agent_id])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL agentgov.retention = 'on'")
        cursor.execute(f"DELETE FROM audit_auditevent WHERE {where} AND seq <= %s", [*params, last_seq])
        return cursor.rowcount


@transaction.atomic
def _purge_chain(key: str, cutoff: datetime) -> int:
    """Remove the longest start of the chain whose events are all older than `cutoff`,
    and sign a retention checkpoint so verification starts where the chain now starts."""
    ChainHead.objects.select_for_update().filter(key=key).first()  # no appends meanwhile
    events = _chain_events(key)
    first_kept = events.filter(occurred_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    last_old = (
        (first_kept - 1)
        if first_kept is not None
        else events.order_by("-seq").values_list("seq", flat=True).first()
    )
    if not last_old:
        return 0
    boundary = events.filter(seq=last_old).values_list("hash", flat=True).first()
    if boundary is None:
        return 0  # already purged up to here
    checkpoint_create(key=key, seq=last_old, hash=boundary, kind=CheckpointKind.RETENTION)
    return _delete_prefix(key, last_old)


def retention_purge(*, now: datetime | None = None) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS, chain by chain; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted = 0
    purged_chains = []
    for key in ChainHead.objects.order_by("key").values_list("key", flat=True):
        removed = _purge_chain(key, cutoff)
        if removed:
            deleted += removed
            purged_chains.append(key)
    if deleted:
        record(
            actor=SYSTEM,
            type=EventType.CHANGE,
            name="audit.retention_purged",
            data={
                "cutoff": cutoff,
                "deleted": deleted,
                "chains": purged_chains,
                "retention_days": settings.AUDIT_RETENTION_DAYS,
            },
        )
    return deleted

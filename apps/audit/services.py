"""The one way anything enters the audit trail."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from apps.audit.chain import GENESIS_HASH, as_stored_json, chain_key, event_hash
from apps.audit.models import ActorType, AuditEvent, ChainHead, EventStatus, EventType
from apps.audit.storage import EVENT_ROW, events_insert

SYSTEM = "system"
"""Pass as `actor=SYSTEM` for what agentgov does on its own (beat tasks, expiry)."""


def _actor_fields(actor) -> dict[str, Any]:
    from apps.registry.models import Agent

    if actor == SYSTEM or actor is None:
        return {"actor_type": ActorType.SYSTEM, "actor_label": "agentgov"}
    if isinstance(actor, Agent):
        return {
            "actor_type": ActorType.AGENT,
            "actor_agent": actor,
            "actor_label": f"agent:{actor.slug}",
        }
    if isinstance(actor, AbstractBaseUser):
        return {
            "actor_type": ActorType.USER,
            "actor_user": actor,
            "actor_label": actor.get_username(),
        }
    raise TypeError(f"an audit actor is a user, an agent or SYSTEM, not {actor!r}")


def _table(model) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(model._meta.db_table)


def _locked_head(key: str) -> ChainHead | None:
    # Hand-written: the ORM's compile of this one-row read cost more than the read, and
    # every audited change and every ingest request pays for it.
    connection = connections[DEFAULT_DB_ALIAS]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id, seq, hash FROM {_table(ChainHead)} WHERE "key" = %s{lock}', [key])
        row = cursor.fetchone()
    return None if row is None else ChainHead(id=row[0], key=key, seq=row[1], hash=row[2])


def locked_chain_head(agent_id: int | None) -> ChainHead:
    """The chain's head row, locked until the transaction ends (created on first use)."""
    key = chain_key(agent_id)
    head = _locked_head(key)
    if head is None:
        try:
            with transaction.atomic():
                ChainHead.objects.create(key=key, seq=0, hash=GENESIS_HASH)
        except IntegrityError:
            pass  # another writer created it first; lock theirs
        head = _locked_head(key)
    return head


def _move_head(head: ChainHead) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {_table(ChainHead)} SET seq = %s, "hash" = %s, updated_at = %s WHERE id = %s',
            [head.seq, head.hash, connection.ops.adapt_datetimefield_value(timezone.now()), head.pk],
        )


def append_to_chain(head: ChainHead, events: list[AuditEvent], *, need_ids: bool = True) -> list[AuditEvent]:
    """Link `events` after `head` (locked by the caller, see `locked_chain_head`), store
    them in one statement and move the head. The caller's transaction covers all three.
    Without `need_ids` the fastest insert path is used and events may be
    `storage.pending_event` rows, which get no pk."""
    seq, prev_hash = head.seq, head.hash
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = prev_hash = event_hash(event)
    if need_ids and len(events) == 1:
        EVENT_ROW.insert(events[0])  # one audited change: most calls, no ORM compile
    elif need_ids:
        AuditEvent.objects.bulk_create(events)
    else:
        events_insert(events)
    head.seq, head.hash = seq, prev_hash
    _move_head(head)
    return events


def record(
    *,
    actor,
    type: EventType | str,
    name: str,
    agent=None,
    resource: str = "",
    rationale: str = "",
    data: Mapping[str, Any] | None = None,
    status: EventStatus | str = EventStatus.OK,
    occurred_at: datetime | None = None,
    source_ip: str | None = None,
    action_id: str = "",
    trace_id: str = "",
    span_id: str = "",
) -> AuditEvent:
    """Append one event to the trail.

    Call it inside the same transaction as the change it describes, so that a change
    without its audit row cannot exist. `actor` is a user, an agent, or `SYSTEM`. The event
    is linked into its agent's hash chain (or the global chain) under the head's lock.
    `action_id` links the event to a governed action request (as agents' own events do);
    `trace_id`/`span_id` place it in the agent's trace.
    """
    event = AuditEvent(
        type=type,
        name=name,
        status=status,
        agent=agent,
        resource=resource,
        rationale=rationale,
        data=as_stored_json(dict(data or {})),
        source_ip=source_ip,
        action_id=action_id,
        trace_id=trace_id,
        span_id=span_id,
        **_actor_fields(actor),
    )
    if occurred_at is not None:
        event.occurred_at = occurred_at
    # Fields only. No unique check: the only unique field left is a fresh uuid4, and the
    # index enforces it anyway. No constraint check: the database enforces the one that is
    # left (actor fields match the actor type, as _actor_fields builds them), and Django's
    # evaluation of it cost as much as the insert on every audited change.
    event.clean_fields(exclude=["actor_user", "actor_agent", "agent", "seq", "prev_hash", "hash"])
    # Validated above, before any write: a refused event leaves the caller's transaction
    # usable. The writes need no savepoint of their own (two round trips per audited
    # change): the caller's transaction, or this one when there is none, covers them, and
    # a database error in them rolls back the change they describe too, as it must.
    with transaction.atomic(savepoint=False):
        append_to_chain(locked_chain_head(event.agent_id), [event])
    return event

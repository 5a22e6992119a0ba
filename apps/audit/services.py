"""The one way anything enters the audit trail."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from apps.audit.chain import GENESIS_HASH, as_stored_json, chain_key, event_hash
from apps.audit.models import ActorType, AuditEvent, ChainHead, EventStatus, EventType
from apps.audit.storage import events_insert

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


def locked_chain_head(agent_id: int | None) -> ChainHead:
    """The chain's head row, locked until the transaction ends (created on first use)."""
    key = chain_key(agent_id)
    head = ChainHead.objects.select_for_update().filter(key=key).first()
    if head is None:
        try:
            with transaction.atomic():
                ChainHead.objects.create(key=key, seq=0, hash=GENESIS_HASH)
        except IntegrityError:
            pass  # another writer created it first; lock theirs
        head = ChainHead.objects.select_for_update().get(key=key)
    return head


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
    if need_ids:
        AuditEvent.objects.bulk_create(events)
    else:
        events_insert(events)
    head.seq, head.hash = seq, prev_hash
    head.save(update_fields=["seq", "hash", "updated_at"])
    return events


@transaction.atomic
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
    # No unique check: the only unique field left is a fresh uuid4, and the index enforces it
    # anyway; the check was one SELECT per audited change (governance decisions are hot).
    event.full_clean(
        exclude=["actor_user", "actor_agent", "agent", "seq", "prev_hash", "hash"], validate_unique=False
    )
    append_to_chain(locked_chain_head(event.agent_id), [event])
    return event

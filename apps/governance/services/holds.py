"""Resource holds: a person or an agent flags a resource pattern as under review."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError, PermissionRefused
from apps.accounts.roles import Capability, user_can
from apps.audit.models import EventType
from apps.audit.services import record
from apps.governance.models import ResourceHold


def _is_agent(actor) -> bool:
    from apps.registry.models import Agent

    return isinstance(actor, Agent)


def _may_hold(actor) -> bool:
    return user_can(actor, Capability.DECIDE_APPROVALS) or user_can(actor, Capability.MANAGE)


def _audit(hold: ResourceHold, actor, name: str, rationale: str) -> None:
    record(
        actor=actor,
        type=EventType.CHANGE,
        name=name,
        agent=hold.author_agent,
        resource=hold.pattern,
        rationale=rationale,
        data={"hold": hold.pk, "pattern": hold.pattern, "ends_at": hold.ends_at, "author": hold.author_label},
    )


@transaction.atomic
def hold_create(*, actor, pattern: str, reason: str, ends_at: datetime | None = None) -> ResourceHold:
    """Put a resource glob under review (an agent, a reviewer or an admin). While active,
    other agents' actions on matching resources are escalated (or denied, per policy)."""
    agent = _is_agent(actor)
    if not agent and not _may_hold(actor):
        raise PermissionRefused("only reviewers and admins may put resources on hold")
    if agent and not actor.may_act:
        raise PermissionRefused(f"agent {actor.slug!r} is {actor.status}; it may not place holds")
    pattern, reason = (pattern or "").strip(), (reason or "").strip()
    if not pattern or len(pattern) > 500:
        raise ApplicationError(
            "a resource glob of at most 500 characters, e.g. service:payments*", field="pattern"
        )
    if pattern in ("*", "**"):
        raise ApplicationError(
            "a hold on everything would stop the fleet; name the resources", field="pattern"
        )
    if not reason:
        raise ApplicationError("say why the resource is under review", field="reason")
    if ends_at is not None and ends_at <= timezone.now():
        raise ApplicationError("the end must be in the future", field="ends_at")
    hold = ResourceHold.objects.create(
        pattern=pattern,
        reason=reason,
        ends_at=ends_at,
        author_agent=actor if agent else None,
        author_user=None if agent else actor,
    )
    _audit(hold, actor, "hold.created", reason)
    return hold


@transaction.atomic
def hold_release(*, hold: ResourceHold, actor, reason: str = "") -> ResourceHold:
    """Release a hold: its author (person or agent) or any reviewer may."""
    hold = ResourceHold.objects.select_for_update().get(pk=hold.pk)
    agent = _is_agent(actor)
    is_author = (
        hold.author_agent_id == actor.pk if agent else hold.author_user_id == getattr(actor, "pk", None)
    )
    if not is_author and (agent or not user_can(actor, Capability.DECIDE_APPROVALS)):
        raise PermissionRefused("only the hold's author or a reviewer may release it")
    if hold.released_at is not None:
        raise ConflictError("this hold was already released")
    hold.released_at = timezone.now()
    hold.released_by_agent = actor if agent else None
    hold.released_by = None if agent else actor
    hold.release_reason = (reason or "").strip()
    hold.save(update_fields=["released_at", "released_by_agent", "released_by", "release_reason"])
    _audit(hold, actor, "hold.released", hold.release_reason)
    return hold

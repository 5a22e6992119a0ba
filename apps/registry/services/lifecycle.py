"""Guarded lifecycle transitions. Each one locks the agent row, checks the transition
against `ALLOWED_FROM`, changes it, and writes its audit event in one transaction."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from apps.audit.models import EventType
from apps.audit.services import record
from apps.registry.models import Agent, AgentStatus, AgentVersion

S = AgentStatus
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "deploy": frozenset({S.REGISTERED, S.ACTIVE, S.PAUSED}),
    "pause": frozenset({S.ACTIVE}),
    "resume": frozenset({S.PAUSED}),
    "quarantine": frozenset({S.REGISTERED, S.ACTIVE, S.PAUSED}),
    "release": frozenset({S.QUARANTINED}),
    "retire": frozenset({S.REGISTERED, S.ACTIVE, S.PAUSED, S.QUARANTINED}),
}
VERSION_FIELDS = ("model", "config_digest", "declared_tools", "changelog")


def allowed_actions(agent: Agent) -> list[str]:
    """The lifecycle actions the agent's current status permits, for pages and API."""
    return [action for action, sources in ALLOWED_FROM.items() if agent.status in sources]


def _lock_for(agent: Agent, action: str) -> Agent:
    locked = Agent.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=agent.pk)
    if locked.status not in ALLOWED_FROM[action]:
        raise ConflictError(_refusal(locked, action), field="status")
    return locked


def _refusal(agent: Agent, action: str) -> str:
    status = agent.get_status_display().lower()
    if agent.status == S.RETIRED:
        return f"cannot {action} agent {agent.slug!r}: it is retired, and retirement is final"
    sources = sorted(AgentStatus(s).label.lower() for s in ALLOWED_FROM[action])
    return (
        f"cannot {action} agent {agent.slug!r}: it is {status}; "
        f"{action} is allowed only from {', '.join(sources)}"
    )


def _require_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(f"a reason is required to {action} an agent", field="reason")
    return reason


def _change_status(
    *, agent: Agent, actor, to: str, event: str, reason: str, data: dict | None = None
) -> Agent:
    previous = agent.status
    agent.status = to
    agent.status_changed_at = timezone.now()
    agent.save(update_fields=["status", "status_changed_at", "current_version", "updated_at"])
    record(
        actor=actor,
        type=EventType.CHANGE,
        name=event,
        agent=agent,
        resource=agent.resource_name,
        rationale=reason,
        data={"from_status": previous, "to_status": to, **(data or {})},
    )
    return agent


def _clean_tools(tools: Iterable[str] | None) -> list[str]:
    if tools is None:
        return []
    if isinstance(tools, str) or not all(isinstance(t, str) and t.strip() for t in tools):
        raise ApplicationError("declared_tools must be a list of tool names", field="declared_tools")
    return sorted({t.strip() for t in tools})


@transaction.atomic
def agent_version_create(
    *,
    agent: Agent,
    actor,
    label: str,
    model: str,
    config_digest: str = "",
    declared_tools: Iterable[str] | None = None,
    changelog: str = "",
) -> AgentVersion:
    """Record a new version of an agent without deploying it."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.status == S.RETIRED:
        raise ConflictError(f"agent {agent.slug!r} is retired; it gets no new versions", field="status")
    if agent.versions.filter(label=label).exists():
        raise ApplicationError(f"agent {agent.slug!r} already has a version {label!r}", field="version")
    version = AgentVersion(
        agent=agent,
        label=label,
        model=model,
        config_digest=config_digest,
        declared_tools=_clean_tools(declared_tools),
        changelog=changelog,
        created_by=actor,
    )
    version.full_clean()
    version.save()
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="agent.version_created",
        agent=agent,
        resource=agent.resource_name,
        data={"version": label, "model": model, "declared_tools": version.declared_tools},
    )
    return version


@transaction.atomic
def agent_deploy(*, agent: Agent, actor, version: str, reason: str = "", **new_version: Any) -> Agent:
    """Deploy a version by label. An unknown label is created from `new_version` fields
    (model required); a known one is redeployed, which is how a rollback is done."""
    agent = _lock_for(agent, "deploy")
    existing = agent.versions.filter(label=version).first()
    given = {k: v for k, v in new_version.items() if v not in (None, "", [])}
    if existing is None:
        if not given.get("model"):
            raise ApplicationError(
                f"version {version!r} does not exist yet; give its model to create it",
                field="model",
            )
        target = agent_version_create(agent=agent, actor=actor, label=version, **given)
    else:
        _refuse_conflicting_fields(existing, given)
        target = existing
    previous = agent.current_version
    if previous is not None and previous.pk == target.pk:
        raise ConflictError(f"version {version!r} is already deployed on {agent.slug!r}", field="version")
    is_rollback = previous is not None and target.created_at < previous.created_at
    target.deployed_at = timezone.now()
    target.save(update_fields=["deployed_at"])
    agent.current_version = target
    to_status = S.ACTIVE if agent.status == S.REGISTERED else agent.status
    return _change_status(
        agent=agent,
        actor=actor,
        to=to_status,
        event="agent.rolled_back" if is_rollback else "agent.deployed",
        reason=reason,
        data={"from_version": previous.label if previous else None, "to_version": target.label},
    )


def _refuse_conflicting_fields(existing: AgentVersion, given: dict[str, Any]) -> None:
    for field, value in given.items():
        if field not in VERSION_FIELDS:
            raise ApplicationError(f"{field} is not a version field", field=field)
        current = getattr(existing, field)
        if field == "declared_tools":
            value = _clean_tools(value)
        if value != current:
            raise ApplicationError(
                f"version {existing.label!r} already exists with a different {field}; "
                "give only its label to redeploy it, or choose a new label",
                field=field,
            )


@transaction.atomic
def agent_pause(*, agent: Agent, actor, reason: str) -> Agent:
    """Stop serving the agent's requests for now; resume brings it back."""
    reason = _require_reason(reason, "pause")
    return _change_status(
        agent=_lock_for(agent, "pause"),
        actor=actor,
        to=S.PAUSED,
        event="agent.paused",
        reason=reason,
    )


@transaction.atomic
def agent_resume(*, agent: Agent, actor, reason: str = "") -> Agent:
    return _change_status(
        agent=_lock_for(agent, "resume"),
        actor=actor,
        to=S.ACTIVE,
        event="agent.resumed",
        reason=reason,
    )


@transaction.atomic
def agent_quarantine(*, agent: Agent, actor, reason: str) -> Agent:
    """The kill switch: from now on every request with the agent's keys is refused."""
    reason = _require_reason(reason, "quarantine")
    return _change_status(
        agent=_lock_for(agent, "quarantine"),
        actor=actor,
        to=S.QUARANTINED,
        event="agent.quarantined",
        reason=reason,
    )


@transaction.atomic
def agent_release(*, agent: Agent, actor, reason: str) -> Agent:
    """Lift a quarantine after investigation. The agent lands paused (or registered, if it
    never had a version), so a person still has to resume it deliberately."""
    reason = _require_reason(reason, "release")
    agent = _lock_for(agent, "release")
    to = S.PAUSED if agent.current_version_id else S.REGISTERED
    return _change_status(agent=agent, actor=actor, to=to, event="agent.released", reason=reason)


@transaction.atomic
def agent_retire(*, agent: Agent, actor, reason: str) -> Agent:
    """Final: the agent is kept for the record, its keys are revoked, nothing comes back."""
    from apps.registry.services.keys import agent_key_revoke

    reason = _require_reason(reason, "retire")
    agent = _lock_for(agent, "retire")
    for key in agent.keys.filter(revoked_at__isnull=True):
        agent_key_revoke(key=key, actor=actor, reason=f"agent retired: {reason}")
    return _change_status(agent=agent, actor=actor, to=S.RETIRED, event="agent.retired", reason=reason)

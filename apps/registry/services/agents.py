from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agentgov.errors import ApplicationError, ConflictError
from apps.audit.models import EventType
from apps.audit.services import record
from apps.registry.models import Agent, AgentStatus, Environment, tag_validator

RESERVED_SLUGS = frozenset({"new", "me"})  # /agents/new/ and /api/v1/agent/me/ would shadow them
EDITABLE_FIELDS = (
    "name",
    "description",
    "purpose",
    "owner",
    "team",
    "risk_tier",
    "environment",
    "tags",
)


def clean_tags(tags: Iterable[str] | None) -> list[str]:
    """Tags as a sorted list without duplicates; refuses a tag that is not a short slug."""
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, Iterable):
        raise ApplicationError("tags must be a list of strings", field="tags")
    cleaned = set()
    for tag in tags:
        if not isinstance(tag, str):
            raise ApplicationError("tags must be a list of strings", field="tags")
        tag = tag.strip().lower()
        try:
            tag_validator(tag)
        except ValidationError:
            raise ApplicationError(f"tag {tag!r}: {tag_validator.message}", field="tags") from None
        cleaned.add(tag)
    return sorted(cleaned)


def _snapshot(agent: Agent) -> dict[str, Any]:
    values = {field: getattr(agent, field) for field in EDITABLE_FIELDS}
    values["owner"] = agent.owner.get_username() if agent.owner_id else None
    return values


@transaction.atomic
def agent_register(
    *,
    actor,
    slug: str,
    name: str,
    owner,
    risk_tier: str,
    team: str = "",
    description: str = "",
    purpose: str = "",
    environment: str = Environment.PRODUCTION,
    tags: Iterable[str] | None = None,
    reason: str = "",
) -> Agent:
    """Add an agent to the registry in the `registered` state (no version yet)."""
    if slug in RESERVED_SLUGS:
        raise ApplicationError(f"{slug!r} is reserved by agentgov's pages; choose another slug", field="slug")
    if Agent.objects.filter(slug=slug).exists():
        raise ApplicationError(f"an agent with slug {slug!r} already exists", field="slug")
    agent = Agent(
        slug=slug,
        name=name.strip() if isinstance(name, str) else name,
        owner=owner,
        risk_tier=risk_tier,
        team=team,
        description=description,
        purpose=purpose,
        environment=environment,
        tags=clean_tags(tags),
        status=AgentStatus.REGISTERED,
        created_by=actor,
    )
    agent.full_clean()
    agent.save()
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="agent.registered",
        agent=agent,
        resource=agent.resource_name,
        rationale=reason,
        data={"agent": _snapshot(agent)},
    )
    return agent


@transaction.atomic
def agent_update(*, agent: Agent, actor, reason: str = "", **changes: Any) -> Agent:
    """Change an agent's descriptive fields; the audit event carries the before/after diff."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ApplicationError(f"{field} cannot be changed here", field=field)
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.status == AgentStatus.RETIRED:
        raise ConflictError(
            f"agent {agent.slug!r} is retired; a retired agent cannot be edited", field="status"
        )
    before = _snapshot(agent)
    if "tags" in changes:
        changes["tags"] = clean_tags(changes["tags"])
    for field, value in changes.items():
        setattr(agent, field, value)
    agent.full_clean()
    after = _snapshot(agent)
    diff = {
        field: [before[field], after[field]] for field in EDITABLE_FIELDS if before[field] != after[field]
    }
    if not diff:
        return agent
    agent.save()
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="agent.updated",
        agent=agent,
        resource=agent.resource_name,
        rationale=reason,
        data={"changes": diff},
    )
    return agent

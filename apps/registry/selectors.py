"""Reads of the registry worth naming."""

from django.db.models import Count, QuerySet

from apps.audit.models import AuditEvent, EventType
from apps.registry.models import Agent, AgentKey, AgentStatus, AgentVersion


def agent_list() -> QuerySet[Agent]:
    return Agent.objects.select_related("owner", "current_version", "monitor")


def agent_by_slug(slug: str) -> Agent:
    return agent_list().get(slug=slug)


def agent_versions(agent: Agent) -> QuerySet[AgentVersion]:
    return agent.versions.select_related("created_by")


def agent_keys(agent: Agent) -> QuerySet[AgentKey]:
    return agent.keys.select_related("created_by", "revoked_by", "replaced_by")


def agent_lifecycle_history(agent: Agent, limit: int = 50) -> QuerySet[AuditEvent]:
    """Changes made to the agent through agentgov, newest first."""
    return (
        AuditEvent.objects.filter(agent=agent, type=EventType.CHANGE)
        .select_related("actor_user")
        .order_by("-occurred_at", "-id")[:limit]
    )


def fleet_status_counts() -> dict[str, int]:
    counts = dict(Agent.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in AgentStatus.values}


def fleet_tier_counts() -> dict[str, int]:
    """Agents still in service (not retired) per risk tier, every tier present."""
    tiers = [value for value, _label in Agent._meta.get_field("risk_tier").choices]
    counts = dict(
        Agent.objects.exclude(status=AgentStatus.RETIRED)
        .values_list("risk_tier")
        .annotate(n=Count("id"))
        .values_list("risk_tier", "n")
    )
    return {tier: counts.get(tier, 0) for tier in tiers}


def recent_changes(limit: int = 10) -> QuerySet[AuditEvent]:
    """The latest changes made through agentgov to any agent, newest first."""
    return (
        AuditEvent.objects.filter(type=EventType.CHANGE)
        .select_related("actor_user", "agent")
        .order_by("-occurred_at", "-id")[:limit]
    )

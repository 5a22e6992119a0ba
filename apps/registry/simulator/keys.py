"""Keys for the simulated agents, issued through the registry services (so each issue is
an audit event). A key's plaintext is never stored, so a restart rotates the old key."""

from apps.registry.models import Agent, AgentStatus
from apps.registry.services import agent_key_create, agent_key_rotate

KEY_NAME = "simulate_fleet"


def simulated_agents(slugs: list[str] | None = None) -> list[Agent]:
    """The agents to simulate: those named, else every active agent with a deployed version."""
    agents = Agent.objects.select_related("owner", "current_version").exclude(current_version=None)
    agents = agents.filter(slug__in=slugs) if slugs else agents.filter(status=AgentStatus.ACTIVE)
    return list(agents.order_by("slug"))


def simulator_key(agent: Agent) -> str:
    """A working key for the agent, issued by its owner: the previous simulator key rotated
    (revoked at once), or a new one."""
    previous = next(
        (key for key in agent.keys.filter(name=KEY_NAME).order_by("-created_at") if key.is_usable), None
    )
    if previous is not None:
        return agent_key_rotate(key=previous, actor=agent.owner, reason="simulate_fleet restarted")[1]
    return agent_key_create(agent=agent, actor=agent.owner, name=KEY_NAME)[1]

"""Keys for the simulated agents, issued through the registry services (so each issue is
an audit event). A key's plaintext is never stored, so a restart rotates the old key."""

from django.core.management import CommandError
from django.db.models import Q

from apps.accounts.models import User
from apps.accounts.roles import Capability, Role, user_can
from apps.registry.models import Agent, AgentStatus
from apps.registry.services import agent_key_create, agent_key_rotate

KEY_NAME = "simulate_fleet"


def simulated_agents(slugs: list[str] | None = None) -> list[Agent]:
    """The agents to simulate: those named, else every active agent with a deployed version."""
    agents = Agent.objects.select_related("owner", "current_version").exclude(current_version=None)
    agents = agents.filter(slug__in=slugs) if slugs else agents.filter(status=AgentStatus.ACTIVE)
    return list(agents.order_by("slug"))


def key_issuer(agent: Agent) -> User:
    """Whom the trail names for the key: the agent's owner if they may manage keys, else the
    first admin. Never a viewer or auditor, who may not issue keys and did not."""
    if user_can(agent.owner, Capability.MANAGE):
        return agent.owner
    admins = User.objects.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN.value), is_active=True)
    admin = admins.order_by("-is_superuser", "pk").first()
    if admin is None:
        raise CommandError("simulate_fleet issues the agents' keys as an admin: create one first")
    return admin


def simulator_key(agent: Agent) -> str:
    """A working key for the agent: the previous simulator key rotated (revoked at once), or a
    new one."""
    issuer = key_issuer(agent)
    previous = next(
        (key for key in agent.keys.filter(name=KEY_NAME).order_by("-created_at") if key.is_usable), None
    )
    if previous is not None:
        return agent_key_rotate(key=previous, actor=issuer, reason="simulate_fleet restarted")[1]
    return agent_key_create(agent=agent, actor=issuer, name=KEY_NAME)[1]

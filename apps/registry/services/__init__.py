"""Every write to the registry: agents, versions, lifecycle and keys.

Views, the API, the admin, commands and tasks all call these, so each rule and each
audit event lives in exactly one place.
"""

from apps.registry.services.agents import agent_register, agent_update
from apps.registry.services.keys import (
    agent_key_create,
    agent_key_revoke,
    agent_key_rotate,
    key_expiry_record_due,
)
from apps.registry.services.lifecycle import (
    agent_deploy,
    agent_pause,
    agent_quarantine,
    agent_release,
    agent_resume,
    agent_retire,
    agent_version_create,
)

__all__ = [
    "agent_deploy",
    "agent_key_create",
    "agent_key_revoke",
    "agent_key_rotate",
    "agent_pause",
    "agent_quarantine",
    "agent_register",
    "agent_release",
    "agent_resume",
    "agent_retire",
    "agent_update",
    "agent_version_create",
    "key_expiry_record_due",
]

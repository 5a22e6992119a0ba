"""agentgov's Python client SDK: report what an agent does, and ask before it acts.

    from agentgov.client import Client, ActionDenied

Needs only the standard library and httpx: no Django, no database. Nothing here may import
the server side of agentgov (a test runs `import agentgov.client` in a clean interpreter).
"""

from agentgov.client.client import Client
from agentgov.client.errors import ActionDenied, AgentgovError, GovernanceUnavailable
from agentgov.client.sender import Stats
from agentgov.client.tracing import Span, current_span

__all__ = [
    "ActionDenied",
    "AgentgovError",
    "Client",
    "GovernanceUnavailable",
    "Span",
    "Stats",
    "current_span",
]

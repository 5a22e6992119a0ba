"""What the SDK raises. Everything derives from AgentgovError."""

from typing import Any


class AgentgovError(Exception):
    """agentgov refused a request as malformed, or answered something the SDK cannot use."""


class ActionDenied(AgentgovError):
    """A governed action may not run: denied by policy or a person, expired, or undecided
    before the caller's timeout. `decision` is "deny", "expired", "timeout" or "unavailable"."""

    def __init__(
        self, reason: str, *, decision: str = "deny", action_id: str | None = None, answer: Any = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.decision = decision
        self.action_id = action_id
        self.answer = answer or {}


class GovernanceUnavailable(ActionDenied):
    """agentgov could not be reached to ask: the action fails closed and does not run."""

    def __init__(self, reason: str, *, action_id: str | None = None) -> None:
        super().__init__(reason, decision="unavailable", action_id=action_id)

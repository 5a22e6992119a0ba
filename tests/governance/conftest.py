"""Governance fixtures: an active agent, a policy publisher and reviewers."""

import pytest

from apps.governance import services
from apps.registry.models import AgentStatus
from tests.factories import AgentFactory


@pytest.fixture
def agent(db):
    """An active, high-risk agent (so no rule → one approval)."""
    return AgentFactory(slug="deploy-bot", risk_tier="high", status=AgentStatus.ACTIVE, tags=["infra"])


@pytest.fixture
def publish(admin):
    """publish([rule, ...], holds="escalate") → the new PolicyVersion."""

    def _publish(rules: list[dict], holds: str = "escalate", comment: str = ""):
        return services.policy_publish(
            actor=admin, document={"holds": holds, "rules": rules}, comment=comment
        )

    return _publish


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer", username="rita")


@pytest.fixture
def reviewers(make_user):
    return [make_user("reviewer", username=f"reviewer{i}") for i in range(3)]


@pytest.fixture
def ask(agent):
    """ask("deploy", "service:payments", amount=5) → a decided ActionRequest of `agent`."""

    def _ask(action: str = "deploy", resource: str = "service:payments", *, who=None, **params):
        return services.action_request(actor=who or agent, action=action, resource=resource, params=params)

    return _ask

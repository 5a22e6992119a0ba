import pytest
from rest_framework.test import APIClient

from apps.registry import services
from tests.factories import AgentFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    """make_user("admin") → a user holding that role; make_user() → no role at all."""

    def make(*roles: str, **fields):
        return UserFactory(roles=roles, **fields)

    return make


@pytest.fixture
def api_as(make_user):
    """api_as("viewer") → a DRF client logged in (session, CSRF enforced) with that role."""

    def client_for(*roles: str, user=None):
        client = APIClient(enforce_csrf_checks=False)
        client.force_authenticate(user or make_user(*roles))
        return client

    return client_for


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def live_agent(admin):
    """An active agent with a deployed version, registered through the services."""
    agent = services.agent_register(
        actor=admin, slug="payments-bot", name="Payments bot", owner=admin, risk_tier="high"
    )
    return services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")


@pytest.fixture
def agent_factory(db):
    return AgentFactory

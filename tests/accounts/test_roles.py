"""Each role can do exactly what it may, through the API (pages are tested in test_views)."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from apps.accounts.roles import Capability, Role, user_capabilities
from apps.registry.models import Agent, AgentStatus

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "reviewer", "auditor", "admin"]


def test_the_data_migration_created_the_four_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("viewer", {Capability.VIEW}),
        ("reviewer", {Capability.VIEW, Capability.DECIDE_APPROVALS, Capability.HANDLE_ALERTS}),
        ("auditor", {Capability.VIEW, Capability.EXPORT_AUDIT}),
        ("admin", {Capability.VIEW, Capability.MANAGE, Capability.HANDLE_ALERTS}),
    ],
)
def test_role_capabilities(make_user, role, expected):
    assert user_capabilities(make_user(role)) == expected


def test_no_role_and_inactive_users_can_do_nothing(make_user):
    assert user_capabilities(make_user()) == frozenset()
    assert user_capabilities(make_user("admin", is_active=False)) == frozenset()


def test_superuser_can_do_everything(make_user):
    assert user_capabilities(make_user(is_superuser=True)) == frozenset(Capability)


def test_every_role_is_a_group(make_user):
    assert {r.value for r in Role} == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_registry(api_as, live_agent, role):
    client = api_as(role)
    assert client.get("/api/v1/agents/").status_code == 200
    assert client.get(f"/api/v1/agents/{live_agent.slug}/").status_code == 200
    assert client.get(f"/api/v1/agents/{live_agent.slug}/keys/").status_code == 200


def test_a_user_without_a_role_reads_nothing(api_as, live_agent):
    response = api_as().get("/api/v1/agents/")
    assert response.status_code == 403
    assert "role" in response.json()["error"]


def test_anonymous_requests_are_refused(live_agent):
    assert APIClient().get("/api/v1/agents/").status_code == 403


@pytest.mark.parametrize("role", ["viewer", "reviewer", "auditor"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/agents/", {"slug": "x", "name": "X", "risk_tier": "low", "owner": "nobody"}),
        ("patch", "/api/v1/agents/payments-bot/", {"team": "x"}),
        ("post", "/api/v1/agents/payments-bot/deploy/", {"version": "2.0.0", "model": "m"}),
        ("post", "/api/v1/agents/payments-bot/pause/", {"reason": "x"}),
        ("post", "/api/v1/agents/payments-bot/quarantine/", {"reason": "x"}),
        ("post", "/api/v1/agents/payments-bot/retire/", {"reason": "x"}),
        ("post", "/api/v1/agents/payments-bot/keys/", {}),
    ],
)
def test_only_admins_write(api_as, live_agent, role, method, path, body):
    response = getattr(api_as(role), method)(path, body, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "only the admin role may change agents, keys, policies and users"
    agent = Agent.objects.get(slug="payments-bot")
    assert agent.status == AgentStatus.ACTIVE
    assert agent.keys.count() == 0


def test_session_writes_need_the_csrf_token(make_user, live_agent):
    user = make_user("admin")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/agents/payments-bot/pause/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]

"""Staff API for the registry, through HTTP with a session, as the browser's JS would."""

import pytest

from apps.audit.models import AuditEvent
from apps.registry.models import Agent, AgentKey, AgentStatus
from apps.registry.services.keys import hash_key

pytestmark = pytest.mark.django_db

NEW_AGENT = {
    "slug": "support-bot",
    "name": "Support bot",
    "risk_tier": "low",
    "team": "support",
    "tags": ["zendesk"],
}


def test_admin_registers_an_agent(api_as, admin):
    response = api_as(user=admin).post(
        "/api/v1/agents/", {**NEW_AGENT, "owner": admin.username}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "support-bot"
    assert body["status"] == "registered"
    assert body["allowed_actions"] == ["deploy", "quarantine", "retire"]
    assert AuditEvent.objects.filter(name="agent.registered", actor_user=admin).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"risk_tier": "extreme"}, "risk_tier"),
        ({"name": ""}, "name"),
        ({"owner": "nobody"}, "owner"),
        ({"slug": "has spaces"}, "slug"),
        ({"colour": "blue"}, "colour"),
        ({"tags": "not-a-list"}, "tags"),
    ],
)
def test_bad_registration_gets_a_400_naming_the_field(api_as, admin, change, field):
    body = {**NEW_AGENT, "owner": admin.username, **change}
    response = api_as(user=admin).post("/api/v1/agents/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert field in response.json()["error"]
    assert not Agent.objects.exists()


def test_duplicate_slug_is_refused_with_400(api_as, admin, live_agent):
    response = api_as(user=admin).post(
        "/api/v1/agents/", {**NEW_AGENT, "slug": live_agent.slug, "owner": admin.username}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "an agent with slug 'payments-bot' already exists", "field": "slug"}


def test_list_filters_by_status_tier_team_and_search(api_as, admin, agent_factory):
    agent_factory(slug="a1", status=AgentStatus.ACTIVE, risk_tier="high", team="payments")
    agent_factory(
        slug="a2", status=AgentStatus.PAUSED, risk_tier="low", team="support", description="handles refunds"
    )
    client = api_as("viewer")

    def slugs(query):
        return [a["slug"] for a in client.get(f"/api/v1/agents/?{query}").json()["results"]]

    assert slugs("status=active") == ["a1"]
    assert slugs("risk_tier=low&risk_tier=high") == ["a1", "a2"]
    assert slugs("team=SUPPORT") == ["a2"]
    assert slugs("q=refunds") == ["a2"]
    response = client.get("/api/v1/agents/?status=bogus")
    assert response.status_code == 400
    assert response.json()["field"] == "status"


def test_patch_updates_fields_but_never_the_slug(api_as, admin, live_agent):
    client = api_as(user=admin)
    response = client.patch(
        f"/api/v1/agents/{live_agent.slug}/", {"team": "payments", "reason": "reorg"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["team"] == "payments"
    response = client.patch(f"/api/v1/agents/{live_agent.slug}/", {"slug": "renamed"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "slug"


def test_deploy_creates_and_rolls_back_versions(api_as, admin, live_agent):
    client = api_as(user=admin)
    url = f"/api/v1/agents/{live_agent.slug}/deploy/"
    response = client.post(
        url, {"version": "1.1.0", "model": "gpt-4.1", "declared_tools": ["stripe.refund"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["current_version"]["label"] == "1.1.0"
    response = client.post(url, {"version": "1.0.0", "reason": "refund loop"}, format="json")
    assert response.json()["current_version"]["label"] == "1.0.0"
    assert AuditEvent.objects.filter(agent=live_agent).latest("id").name == "agent.rolled_back"
    versions = client.get(f"/api/v1/agents/{live_agent.slug}/versions/").json()
    assert [v["label"] for v in versions] == ["1.1.0", "1.0.0"]


def test_malformed_version_gets_a_400_and_no_rows(api_as, admin, live_agent):
    response = api_as(user=admin).post(
        f"/api/v1/agents/{live_agent.slug}/deploy/", {"version": "one", "model": "m"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "label"
    assert "MAJOR.MINOR.PATCH" in response.json()["error"]
    assert live_agent.versions.count() == 1


@pytest.mark.parametrize("action", ["pause", "quarantine", "retire"])
def test_lifecycle_actions_change_status_with_a_reason(api_as, admin, live_agent, action):
    response = api_as(user=admin).post(
        f"/api/v1/agents/{live_agent.slug}/{action}/", {"reason": "drill"}, format="json"
    )
    assert response.status_code == 200
    assert (
        response.json()["status"]
        == {"pause": "paused", "quarantine": "quarantined", "retire": "retired"}[action]
    )


def test_lifecycle_action_without_reason_is_a_400(api_as, admin, live_agent):
    response = api_as(user=admin).post(f"/api/v1/agents/{live_agent.slug}/quarantine/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "a reason is required to quarantine an agent", "field": "reason"}


def test_transition_from_retired_is_a_409_naming_the_rule(api_as, admin, live_agent):
    client = api_as(user=admin)
    client.post(f"/api/v1/agents/{live_agent.slug}/retire/", {"reason": "eol"}, format="json")
    response = client.post(f"/api/v1/agents/{live_agent.slug}/resume/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "status"
    assert "retirement is final" in response.json()["error"]


def test_key_is_returned_once_and_stored_only_as_a_hash(api_as, admin, live_agent):
    client = api_as(user=admin)
    response = client.post(f"/api/v1/agents/{live_agent.slug}/keys/", {"name": "prod"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith(body["prefix"] + "_")
    stored = AgentKey.objects.get(prefix=body["prefix"])
    assert stored.key_hash == hash_key(body["key"])
    assert body["key"] not in str(AgentKey.objects.filter(pk=stored.pk).values().get())
    listed = client.get(f"/api/v1/agents/{live_agent.slug}/keys/").json()
    assert "key" not in listed[0]
    assert listed[0]["prefix"] == body["prefix"]
    assert listed[0]["state"] == "active"


def test_key_for_a_retired_agent_is_refused(api_as, admin, live_agent):
    client = api_as(user=admin)
    client.post(f"/api/v1/agents/{live_agent.slug}/retire/", {"reason": "eol"}, format="json")
    response = client.post(f"/api/v1/agents/{live_agent.slug}/keys/", {}, format="json")
    assert response.status_code == 409
    assert "retired" in response.json()["error"]
    assert not AgentKey.objects.exists()


def test_key_expiry_in_the_past_is_refused(api_as, admin, live_agent):
    response = api_as(user=admin).post(
        f"/api/v1/agents/{live_agent.slug}/keys/", {"expires_at": "2001-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "expires_at"


def test_revoke_and_rotate_keys(api_as, admin, live_agent):
    client = api_as(user=admin)
    first = client.post(f"/api/v1/agents/{live_agent.slug}/keys/", {}, format="json").json()
    rotated = client.post(
        f"/api/v1/agents/{live_agent.slug}/keys/{first['prefix']}/rotate/",
        {"grace_minutes": 10},
        format="json",
    )
    assert rotated.status_code == 201
    new = rotated.json()
    old = AgentKey.objects.get(prefix=first["prefix"])
    assert old.replaced_by.prefix == new["prefix"]
    assert old.is_usable, "the old key keeps working during the grace period"
    response = client.delete(f"/api/v1/agents/{live_agent.slug}/keys/{new['prefix']}/?reason=leaked")
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    assert response.json()["revoke_reason"] == "leaked"
    again = client.delete(f"/api/v1/agents/{live_agent.slug}/keys/{new['prefix']}/")
    assert again.status_code == 409
    missing = client.delete(f"/api/v1/agents/{live_agent.slug}/keys/agk_nothere/")
    assert missing.status_code == 404

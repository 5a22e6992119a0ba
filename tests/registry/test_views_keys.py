"""Agent keys in the browser: shown once, stored only as a hash, revoked and rotated."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import AgentKey


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def key(live_agent, admin):
    created, _raw = services.agent_key_create(agent=live_agent, actor=admin, name="prod-worker")
    return created


def raw_key_in(response) -> str:
    return response.context["raw_key"]


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(admin_client, live_agent):
    url = reverse("registry:key_create", args=["payments-bot"])
    response = admin_client.post(url, {"name": "prod-worker", "never_expires": "on"})

    assert response.status_code == 201
    raw = raw_key_in(response)
    assert raw.encode() in response.content
    assert b"will not be shown again" in response.content
    assert "no-store" in response["Cache-Control"]
    stored = AgentKey.objects.get(agent=live_agent)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.expires_at is None
    # Nowhere else: not in the session, not on the agent's page.
    assert raw not in str(dict(admin_client.session))
    detail = admin_client.get(reverse("registry:agent_detail", args=["payments-bot"]))
    assert raw.encode() not in detail.content
    assert stored.prefix.encode() in detail.content


def test_a_key_with_an_expiry_date_stops_when_that_day_begins(admin_client, live_agent):
    day = (timezone.now() + timedelta(days=10)).date()
    url = reverse("registry:key_create", args=["payments-bot"])
    response = admin_client.post(url, {"name": "ci", "expires_on": day.isoformat()})

    assert response.status_code == 201
    expires_at = AgentKey.objects.get(agent=live_agent).expires_at
    assert timezone.localtime(expires_at).date() == day


@pytest.mark.parametrize(
    "data",
    [
        {"expires_on": "2001-01-01"},  # in the past: refused by the service
        {"expires_on": "2999-01-01", "never_expires": "on"},  # contradictory
    ],
)
def test_a_key_with_a_bad_expiry_is_refused(admin_client, live_agent, data):
    response = admin_client.post(reverse("registry:key_create", args=["payments-bot"]), data)

    assert response.status_code == 400
    assert "raw_key" not in response.context
    assert not AgentKey.objects.exists()


def test_no_key_for_a_quarantined_agent(admin_client, admin, live_agent):
    services.agent_quarantine(agent=live_agent, actor=admin, reason="incident")
    response = admin_client.post(reverse("registry:key_create", args=["payments-bot"]), {})

    assert response.status_code == 400
    assert "quarantined" in str(response.context["form"].non_field_errors())
    assert not AgentKey.objects.exists()


def test_admin_revokes_a_key_after_confirming_with_a_reason(admin_client, admin, key):
    url = reverse("registry:key_revoke", args=["payments-bot", key.prefix])
    assert b"cannot be restored" in admin_client.get(url).content
    assert admin_client.post(url, {"reason": ""}).status_code == 400

    response = admin_client.post(url, {"reason": "laptop stolen"})

    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.revoked_by, key.revoke_reason) == (admin, "laptop stolen")
    assert AuditEvent.objects.filter(name="key.revoked", rationale="laptop stolen").exists()


def test_revoking_a_revoked_key_is_refused(admin_client, admin, key):
    services.agent_key_revoke(key=key, actor=admin, reason="first")
    url = reverse("registry:key_revoke", args=["payments-bot", key.prefix])
    response = admin_client.post(url, {"reason": "again"})

    assert response.status_code == 400
    assert "already revoked" in str(response.context["form"].non_field_errors())


def test_rotating_shows_the_new_key_once_and_keeps_the_old_one_for_the_grace(admin_client, key):
    url = reverse("registry:key_rotate", args=["payments-bot", key.prefix])
    response = admin_client.post(url, {"grace_minutes": 30, "reason": "scheduled"})

    assert response.status_code == 201
    new = AgentKey.objects.get(replaces=key)
    assert new.key_hash == hashlib.sha256(raw_key_in(response).encode()).hexdigest()
    assert b"keeps working until" in response.content
    key.refresh_from_db()
    assert key.revoked_at is None
    assert key.expires_at <= timezone.now() + timedelta(minutes=31)


def test_rotating_with_too_long_a_grace_is_refused(admin_client, key):
    url = reverse("registry:key_rotate", args=["payments-bot", key.prefix])
    response = admin_client.post(url, {"grace_minutes": 20000})

    assert response.status_code == 400
    assert response.context["form"].errors["grace_minutes"]
    assert AgentKey.objects.count() == 1


def test_a_key_of_another_agent_is_404(admin_client, admin, key, agent_factory):
    other = agent_factory(slug="other", owner=admin)
    url = reverse("registry:key_revoke", args=[other.slug, key.prefix])
    assert admin_client.get(url).status_code == 404

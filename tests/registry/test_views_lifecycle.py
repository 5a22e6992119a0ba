"""The one confirmation page behind pause, resume, quarantine, release and retire."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import AgentStatus


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def action_url(action: str, slug: str = "payments-bot") -> str:
    return reverse("registry:agent_lifecycle", args=[slug, action])


def test_quarantine_page_explains_the_kill_switch_before_anything_happens(admin_client, live_agent):
    response = admin_client.get(action_url("quarantine"))

    assert response.status_code == 200
    assert b"Quarantine is a kill switch" in response.content
    assert b"every request with this agent&#x27;s keys will be refused" in response.content
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.ACTIVE


def test_admin_quarantines_an_agent_with_a_reason(admin_client, admin, live_agent):
    response = admin_client.post(action_url("quarantine"), {"reason": "leaking card numbers"})

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.QUARANTINED
    event = AuditEvent.objects.get(agent=live_agent, name="agent.quarantined")
    assert (event.actor_user, event.rationale) == (admin, "leaking card numbers")
    detail = admin_client.get(response.url)
    assert b"leaking card numbers" in detail.content
    assert b"Requests refused" in detail.content


@pytest.mark.parametrize("action", ["pause", "quarantine", "retire"])
def test_a_destructive_action_without_a_reason_is_refused(admin_client, live_agent, action):
    response = admin_client.post(action_url(action), {"reason": "  "})

    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.ACTIVE


def test_release_needs_a_reason_and_lands_the_agent_paused(admin_client, admin, live_agent):
    services.agent_quarantine(agent=live_agent, actor=admin, reason="investigate")
    assert admin_client.post(action_url("release"), {"reason": ""}).status_code == 400

    response = admin_client.post(action_url("release"), {"reason": "false alarm"})

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.PAUSED


def test_resume_needs_no_reason(admin_client, admin, live_agent):
    services.agent_pause(agent=live_agent, actor=admin, reason="maintenance")
    response = admin_client.post(action_url("resume"), {"reason": ""})

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.ACTIVE


def test_retire_page_says_it_is_final_and_revokes_keys(admin_client, admin, live_agent):
    services.agent_key_create(agent=live_agent, actor=admin)
    page = admin_client.get(action_url("retire"))
    assert b"Retirement is final" in page.content
    assert b"1 active key will be revoked" in page.content

    response = admin_client.post(action_url("retire"), {"reason": "replaced by v2 agent"})

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.RETIRED
    assert not live_agent.keys.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize("action", ["pause", "resume", "quarantine", "release", "retire"])
def test_no_transition_from_retired_and_nothing_is_written(admin_client, admin, live_agent, action):
    services.agent_retire(agent=live_agent, actor=admin, reason="done")
    events = AuditEvent.objects.count()

    page = admin_client.get(action_url(action))
    response = admin_client.post(action_url(action), {"reason": "try anyway"})

    assert b"Retirement is final" in page.content
    assert b'method="post"' not in page.content.split(b"<main")[1]
    assert response.status_code == 400
    assert "retirement is final" in str(response.context["form"].non_field_errors())
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.RETIRED
    assert AuditEvent.objects.count() == events


def test_an_unknown_lifecycle_action_is_404(admin_client, live_agent):
    assert admin_client.get("/agents/payments-bot/explode/").status_code == 404

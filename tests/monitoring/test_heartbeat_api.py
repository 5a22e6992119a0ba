"""POST /api/v1/heartbeats/ with an agent key."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.monitoring.models import AgentMonitor
from apps.registry import services as registry

pytestmark = pytest.mark.django_db
URL = reverse("heartbeats")


@pytest.fixture
def agent_client(live_agent, admin):
    _, raw_key = registry.agent_key_create(agent=live_agent, actor=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def test_an_agent_beats_with_its_key_and_no_audit_event_is_written(agent_client, live_agent):
    before = AuditEvent.objects.count()

    response = agent_client.post(
        URL, {"status": "warning", "message": "queue backing up", "metrics": {"queue": 42}}, format="json"
    )

    assert response.status_code == 202
    assert "received_at" in response.json()
    monitor = AgentMonitor.objects.get(agent=live_agent)
    assert (monitor.last_status, monitor.last_message, monitor.last_metrics) == (
        "warning",
        "queue backing up",
        {"queue": 42.0},
    )
    assert monitor.last_heartbeat_at is not None
    assert AuditEvent.objects.count() == before


def test_an_empty_body_is_a_plain_heartbeat(agent_client, live_agent):
    response = agent_client.post(URL, content_type="application/json")

    assert response.status_code == 202
    assert AgentMonitor.objects.get(agent=live_agent).last_status == "ok"


def test_without_a_key_the_heartbeat_is_refused():
    response = APIClient().post(URL, {}, format="json")

    assert response.status_code in (401, 403)
    assert "agent key" in response.json()["error"]


def test_a_person_cannot_beat_for_an_agent(api_as):
    response = api_as("admin").post(URL, {}, format="json")

    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "sleepy"}, "status"),
        ({"metrics": {"queue": "high"}}, "metrics"),
        ({"metrics": [1, 2]}, "metrics"),
        ({"message": "x" * 501}, "message"),
        ({"mood": "fine"}, "mood"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_stored(agent_client, live_agent, body, field):
    response = agent_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not AgentMonitor.objects.filter(agent=live_agent, last_heartbeat_at__isnull=False).exists()


def test_a_retired_agents_key_is_refused(agent_client, live_agent, admin):
    registry.agent_retire(agent=live_agent, actor=admin, reason="replaced")

    response = agent_client.post(URL, {}, format="json")

    assert response.status_code in (401, 403)  # retiring also revokes its keys
    assert not AgentMonitor.objects.filter(agent=live_agent, last_heartbeat_at__isnull=False).exists()


def test_a_paused_agent_may_still_beat(agent_client, live_agent, admin):
    registry.agent_pause(agent=live_agent, actor=admin, reason="maintenance")

    assert agent_client.post(URL, {}, format="json").status_code == 202

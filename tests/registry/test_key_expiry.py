from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import AgentKey
from apps.registry.tasks import record_expired_keys

pytestmark = pytest.mark.django_db


def test_each_expiry_is_recorded_once_even_when_runs_overlap(admin, live_agent):
    expired, _ = services.agent_key_create(agent=live_agent, actor=admin)
    services.agent_key_create(agent=live_agent, actor=admin)
    AgentKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert record_expired_keys() == 1
    assert record_expired_keys() == 0
    event = AuditEvent.objects.get(name="key.expired")
    assert event.actor_type == "system"
    assert event.data["prefix"] == expired.prefix

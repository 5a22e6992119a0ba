"""The broken-chain alert, raised by the nightly verification task."""

import pytest
from django.db import connection

from apps.alerts.conditions import AUDIT_CHAIN_FINGERPRINT
from apps.alerts.models import Alert, AlertState
from apps.audit.models import AuditEvent
from apps.audit.tasks import verify_chains
from apps.registry import services as registry

pytestmark = pytest.mark.django_db


def tamper(event: AuditEvent, rationale: str = "nothing happened") -> None:
    """Rewrite a row behind the ORM's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser can switch the append-only trigger off
            cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET rationale = %s WHERE id = %s", [rationale, event.pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_a_broken_chain_fires_a_critical_alert_and_a_mended_one_resolves_it(admin, live_agent):
    registry.agent_pause(agent=live_agent, actor=admin, reason="maintenance")
    assert verify_chains() is True
    assert not Alert.objects.filter(fingerprint=AUDIT_CHAIN_FINGERPRINT).exists()

    victim = AuditEvent.objects.get(name="agent.paused")
    tamper(victim)
    assert verify_chains() is False
    alert = Alert.objects.get(fingerprint=AUDIT_CHAIN_FINGERPRINT)
    assert alert.is_firing and alert.severity == "critical" and alert.kind == "audit_chain_broken"
    assert "its content was altered" in alert.summary and alert.details["problems"]

    tamper(victim, "maintenance")  # restored from a backup
    assert verify_chains() is True
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED

import pytest
from django.core.management import call_command

from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent
from apps.registry.models import Agent, AgentStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_believable_fleet_once(capsys):
    call_command("seed_demo")
    statuses = set(Agent.objects.values_list("status", flat=True))
    assert {
        AgentStatus.ACTIVE,
        AgentStatus.PAUSED,
        AgentStatus.QUARANTINED,
        AgentStatus.RETIRED,
        AgentStatus.REGISTERED,
    } <= statuses
    assert set(Agent.objects.values_list("risk_tier", flat=True)) == {"low", "medium", "high", "critical"}
    assert AuditEvent.objects.filter(name="agent.rolled_back").exists()
    decisions = AuditEvent.objects.filter(type="decision")
    assert decisions.count() >= 300
    assert decisions.exclude(alternatives=None).exists()
    assert AuditEvent.objects.filter(type="tool_call", status="error").exists()
    span_days = AuditEvent.objects.filter(type="decision").dates("occurred_at", "day")
    assert len(span_days) >= 28, "thirty days of activity"
    counts = (Agent.objects.count(), AuditEvent.objects.count())

    call_command("seed_demo")
    assert (Agent.objects.count(), AuditEvent.objects.count()) == counts, "a second run adds nothing"
    assert chains_verify().ok
    out = capsys.readouterr().out
    assert "0 agents created, 10 already there" in out
    assert "Audit trail verified:" in out and "intact" in out  # the trail page has a verification to show

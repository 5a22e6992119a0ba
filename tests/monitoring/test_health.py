"""The health sweep: up, late, down, never seen and degraded, each change recorded once
(health event, audit event, alert)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.models import Alert, AlertState
from apps.audit.models import AuditEvent
from apps.monitoring.health import health_change_apply, health_sweep
from apps.monitoring.models import AgentMonitor, HealthEvent, HealthState
from apps.monitoring.services import heartbeat_record, monitor_for, sweep_claim
from apps.registry import services as registry
from tests.monitoring.helpers import report

pytestmark = pytest.mark.django_db


def state_of(agent) -> str:
    return AgentMonitor.objects.get(agent=agent).state


def test_an_active_agent_without_heartbeats_is_never_seen(live_agent):
    result = health_sweep()

    assert state_of(live_agent) == HealthState.NEVER
    assert result.changes == []  # a new monitor starts as never seen: nothing changed


def test_a_heartbeat_moves_the_agent_up_then_late_then_down_and_back(live_agent):
    now = timezone.now()
    monitor = monitor_for(live_agent)  # high tier: 300 s interval, 300 s grace
    heartbeat_record(agent=live_agent, now=now)

    assert health_sweep(now=now).changes == [("payments-bot", "never", "up")]
    assert health_sweep(now=now + monitor.interval + timedelta(seconds=1)).changes == [
        ("payments-bot", "up", "late")
    ]
    later = now + monitor.interval + monitor.grace + timedelta(seconds=1)
    assert health_sweep(now=later).changes == [("payments-bot", "late", "down")]

    alert = Alert.objects.get(fingerprint="agent_down:payments-bot")
    assert alert.state == AlertState.FIRING and alert.kind == "agent_down"
    assert "no heartbeat since" in alert.summary

    heartbeat_record(agent=live_agent, now=later)
    assert health_sweep(now=later).changes == [("payments-bot", "down", "up")]
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED

    assert list(HealthEvent.objects.order_by("at", "id").values_list("from_state", "to_state")) == [
        ("never", "up"),
        ("up", "late"),
        ("late", "down"),
        ("down", "up"),
    ]
    audited = AuditEvent.objects.filter(agent=live_agent, name__startswith="agent.health_")
    assert list(audited.order_by("seq").values_list("name", flat=True)) == [
        "agent.health_up",
        "agent.health_late",
        "agent.health_down",
        "agent.health_up",
    ]


def test_heartbeats_are_not_audit_events(live_agent):
    before = AuditEvent.objects.count()

    for _ in range(5):
        heartbeat_record(agent=live_agent, status="ok", metrics={"queue": 3})

    assert AuditEvent.objects.count() == before
    monitor = AgentMonitor.objects.get(agent=live_agent)
    assert monitor.last_metrics == {"queue": 3}
    assert monitor.late_at == monitor.last_heartbeat_at + monitor.interval
    assert monitor.down_at == monitor.late_at + monitor.grace


def test_a_second_sweep_changes_nothing_and_alerts_once(live_agent):
    now = timezone.now()
    heartbeat_record(agent=live_agent, now=now - timedelta(hours=2))

    first = health_sweep(now=now)
    second = health_sweep(now=now)

    assert first.changes == [("payments-bot", "never", "down")]
    assert second.changes == []
    assert Alert.objects.filter(fingerprint="agent_down:payments-bot").count() == 1
    assert AuditEvent.objects.filter(name="alert.fired").count() == 1


def test_a_change_another_run_already_made_is_not_applied_twice(live_agent):
    now = timezone.now()
    monitor_for(live_agent)

    assert health_change_apply(agent=live_agent, old="never", new="down", reason="test", now=now)
    assert not health_change_apply(agent=live_agent, old="never", new="down", reason="test", now=now)
    assert HealthEvent.objects.count() == 1


def test_many_failing_recent_events_make_an_agent_degraded_and_recovery_resolves(live_agent, settings):
    settings.MONITORING_HEALTH_MIN_EVENTS = 20
    now = timezone.now()
    heartbeat_record(agent=live_agent, now=now)
    report(live_agent, at=now, n=20, status="ok", spacing=timedelta(seconds=10))
    report(live_agent, at=now, n=10, status="error", spacing=timedelta(seconds=15))

    assert health_sweep(now=now).changes == [("payments-bot", "never", "degraded")]
    monitor = AgentMonitor.objects.get(agent=live_agent)
    assert monitor.state_reason == "10 of its last 30 events failed (33%, threshold 25%)"
    assert Alert.objects.get(fingerprint="agent_degraded:payments-bot").is_firing

    later = now + timedelta(minutes=20)  # the failures are out of the window
    heartbeat_record(agent=live_agent, now=later)
    assert health_sweep(now=later).changes == [("payments-bot", "degraded", "up")]
    assert not Alert.objects.get(fingerprint="agent_degraded:payments-bot").is_firing


def test_slow_recent_events_over_the_agents_p95_threshold_degrade_it(live_agent, settings):
    settings.MONITORING_HEALTH_MIN_EVENTS = 20
    now = timezone.now()
    heartbeat_record(agent=live_agent, now=now)
    monitor = monitor_for(live_agent)
    monitor.p95_latency_ms_threshold = 1000
    monitor.save()
    report(live_agent, at=now, n=30, duration_ms=4000.0, spacing=timedelta(seconds=10))

    health_sweep(now=now)

    assert state_of(live_agent) == HealthState.DEGRADED
    assert "p95 latency of recent events" in AgentMonitor.objects.get(agent=live_agent).state_reason


def test_too_few_recent_events_never_degrade(live_agent):
    now = timezone.now()
    heartbeat_record(agent=live_agent, now=now)
    report(live_agent, at=now, n=5, status="error", spacing=timedelta(seconds=10))

    health_sweep(now=now)

    assert state_of(live_agent) == HealthState.UP


def test_paused_agents_are_not_checked(live_agent, admin):
    heartbeat_record(agent=live_agent, now=timezone.now() - timedelta(days=1))
    registry.agent_pause(agent=live_agent, actor=admin, reason="maintenance")

    assert health_sweep().checked == 0
    assert state_of(live_agent) == HealthState.NEVER


def test_a_duplicated_tick_inside_the_spacing_does_not_claim_the_sweep(db):
    now = timezone.now()

    assert sweep_claim("health", spacing_seconds=10, now=now)
    assert not sweep_claim("health", spacing_seconds=10, now=now + timedelta(seconds=5))
    assert sweep_claim("health", spacing_seconds=10, now=now + timedelta(seconds=11))


def test_pausing_a_down_agent_resolves_its_alert_and_resuming_it_silent_alerts_again(live_agent, admin):
    now = timezone.now()
    heartbeat_record(agent=live_agent, now=now - timedelta(hours=2))
    health_sweep(now=now)
    registry.agent_pause(agent=live_agent, actor=admin, reason="maintenance")

    assert health_sweep(now=now).changes == [("payments-bot", "down", "never")]
    assert not Alert.objects.get(fingerprint="agent_down:payments-bot").is_firing
    assert AgentMonitor.objects.get(agent=live_agent).state_reason == "not monitored while paused"

    registry.agent_resume(agent=live_agent, actor=admin)
    assert health_sweep(now=now).changes == [("payments-bot", "never", "down")]
    assert Alert.objects.get(fingerprint="agent_down:payments-bot").is_firing

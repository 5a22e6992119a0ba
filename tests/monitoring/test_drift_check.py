"""The drift check over stored events: SQL aggregates, reports, verdict changes, alerts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts.models import Alert
from apps.audit.models import AuditEvent
from apps.monitoring.drift.aggregates import BASELINE, CURRENT, window_counts
from apps.monitoring.drift.check import drift_check, windows_for
from apps.monitoring.models import AgentMonitor, Baseline, DriftReport
from apps.monitoring.services import monitor_for, monitor_update
from apps.registry import services as registry
from tests.monitoring.helpers import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def steady_baseline(agent, now):
    """Seven days of reading pull requests, 200 calls, before the recent day."""
    report(agent, at=now - timedelta(hours=24), n=200, name="github.read", spacing=timedelta(minutes=50))


def test_the_sql_aggregates_count_each_window(live_agent, now):
    steady_baseline(live_agent, now)
    report(
        live_agent,
        at=now,
        n=30,
        name="shell.exec",
        status="error",
        duration_ms=900.0,
        spacing=timedelta(minutes=20),
    )
    report(
        live_agent, at=now, n=10, name="summary", type="message", duration_ms=None, tokens=500, cost_usd=0.01
    )

    _, windows = windows_for(live_agent, now)
    baseline, current = window_counts([live_agent.pk], windows)[live_agent.pk]

    assert (baseline.events, baseline.failed, baseline.mix) == (200, 0, {"github.read": 200})
    assert (current.events, current.failed, current.mix) == (40, 30, {"shell.exec": 30})
    assert sum(current.histograms["duration_ms"]) == 30
    assert sum(current.histograms["tokens"]) == 10 and sum(current.histograms["cost_usd"]) == 10
    assert "cost_usd" not in baseline.histograms


def test_a_changed_agent_drifts_once_with_an_alert_and_an_audit_event(live_agent, now):
    steady_baseline(live_agent, now)
    report(live_agent, at=now, n=40, name="github.read", spacing=timedelta(minutes=15))
    report(live_agent, at=now, n=60, name="shell.exec", spacing=timedelta(minutes=10))

    run = drift_check(now=now)

    drift = DriftReport.objects.get(run=run, agent=live_agent)
    by_metric = {m["metric"]: m for m in drift.metrics}
    assert drift.verdict == "drift"
    assert by_metric["tool_mix"]["verdict"] == "drift"
    assert by_metric["new_tools"]["sentence"] == "started calling `shell.exec` (60 calls), never used before"
    assert by_metric["error_rate"]["verdict"] == "ok"
    assert set(by_metric) == {
        "tool_mix",
        "new_tools",
        "error_rate",
        "denial_rate",
        "latency",
        "cost",
        "tokens",
        "volume",
    }
    assert by_metric["cost"]["verdict"] == "not_enough_data"
    assert run.agents_drifting == 1
    alert = Alert.objects.get(fingerprint="drift:payments-bot")
    assert alert.is_firing and alert.kind == "drift" and "shell.exec" in alert.summary
    assert AuditEvent.objects.filter(agent=live_agent, name="agent.drift_detected").count() == 1

    drift_check(now=now + timedelta(minutes=1))  # the next run: still drifting, nothing new

    assert AuditEvent.objects.filter(agent=live_agent, name="agent.drift_detected").count() == 1
    assert AuditEvent.objects.filter(name="alert.fired").count() == 1


def test_raising_the_agents_thresholds_clears_its_drift_and_resolves_the_alert(live_agent, admin, now):
    steady_baseline(live_agent, now)
    report(live_agent, at=now, n=60, name="shell.exec", spacing=timedelta(minutes=10))
    report(live_agent, at=now, n=40, name="github.read", spacing=timedelta(minutes=15))
    drift_check(now=now)

    monitor_update(
        actor=admin, agent=live_agent, drift_thresholds={"tool_mix": 0.9, "new_tools": 5, "volume": 5}
    )
    drift_check(now=now + timedelta(minutes=1))

    assert not Alert.objects.get(fingerprint="drift:payments-bot").is_firing
    assert AuditEvent.objects.filter(agent=live_agent, name="agent.drift_cleared").count() == 1
    assert AgentMonitor.objects.get(agent=live_agent).drift_verdict == "ok"


def test_a_steady_agent_is_fine_and_nothing_is_recorded(live_agent, now):
    steady_baseline(live_agent, now)
    report(live_agent, at=now, n=30, name="github.read", spacing=timedelta(minutes=45))

    run = drift_check(now=now)

    assert DriftReport.objects.get(run=run).verdict == "ok"
    assert not Alert.objects.exists()
    assert not AuditEvent.objects.filter(name__startswith="agent.drift").exists()


def test_an_agent_with_few_events_has_not_enough_data_and_no_alert(live_agent, now):
    report(live_agent, at=now - timedelta(hours=24), n=10, name="github.read", spacing=timedelta(hours=5))
    report(live_agent, at=now, n=10, name="shell.exec", status="error", spacing=timedelta(hours=1))

    run = drift_check(now=now)

    drift = DriftReport.objects.get(run=run)
    assert drift.verdict == "not_enough_data"
    assert drift.summary.startswith("not enough data: 10 events in the recent window, 10 in the baseline")
    assert not Alert.objects.exists()
    assert AgentMonitor.objects.get(agent=live_agent).drift_verdict == ""


def test_a_history_run_stores_reports_without_alerts(live_agent, now):
    steady_baseline(live_agent, now)
    report(live_agent, at=now, n=60, name="shell.exec", spacing=timedelta(minutes=10))

    run = drift_check(now=now, follow=False)

    assert run.reports.get().verdict == "drift"
    assert not Alert.objects.exists()


def test_a_pinned_baseline_is_the_week_before_the_current_deploy(live_agent, admin, now):
    deployed = now - timedelta(days=3)
    live_agent.current_version.deployed_at = deployed
    live_agent.current_version.save()
    monitor_for(live_agent)
    monitor_update(actor=admin, agent=live_agent, drift_baseline=Baseline.DEPLOY)
    live_agent.refresh_from_db()

    kind, windows = windows_for(live_agent, now)

    assert kind == Baseline.DEPLOY
    assert windows.baseline_end == deployed and windows.baseline_start == deployed - timedelta(days=7)
    assert windows.current_start == now - timedelta(hours=24) and windows.current_end == now


def test_only_active_agents_are_checked(live_agent, admin, now):
    registry.agent_pause(agent=live_agent, actor=admin, reason="maintenance")

    assert drift_check(now=now).agents_checked == 0


def test_the_windows_count_baseline_and_current_apart(live_agent, now):
    _, windows = windows_for(live_agent, now)

    assert windows.hours(CURRENT) == 24
    assert windows.hours(BASELINE) == 7 * 24

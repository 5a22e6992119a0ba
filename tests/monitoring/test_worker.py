"""The beat tasks on a real Celery worker, against PostgreSQL and the configured broker."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.alerts.models import Alert
from apps.audit.models import AuditEvent
from apps.monitoring.models import AgentMonitor, DriftRun, HealthEvent
from apps.monitoring.services import heartbeat_record
from apps.monitoring.tasks import check_drift, check_health
from tests.celery_helpers import celery_process, private_worker, wait_for
from tests.monitoring.helpers import report

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="a worker process cannot share the in-memory SQLite test database",
    ),
]


def test_a_duplicated_health_tick_finds_the_silent_agent_down_once(live_agent):
    heartbeat_record(agent=live_agent, now=timezone.now() - timedelta(hours=2))

    with private_worker() as queue:
        check_health.apply_async(queue=queue)
        check_health.apply_async(queue=queue)  # a duplicated beat tick
        assert wait_for(lambda: AgentMonitor.objects.get(agent=live_agent).state == "down", timeout=90)
        assert wait_for(
            lambda: Alert.objects.filter(fingerprint="agent_down:payments-bot").exists(), timeout=30
        )
        # Both ticks are consumed before the worker stops: the solo pool runs them in order.
        check_drift.apply_async(queue=queue)
        assert wait_for(lambda: DriftRun.objects.filter(finished_at__isnull=False).exists(), timeout=90)

    assert HealthEvent.objects.filter(agent=live_agent).count() == 1
    assert AuditEvent.objects.filter(name="agent.health_down").count() == 1
    assert AuditEvent.objects.filter(name="alert.fired").count() == 1


def test_the_drift_task_alerts_on_a_drifting_agent(live_agent):
    now = timezone.now()
    report(live_agent, at=now - timedelta(hours=24), n=200, name="github.read", spacing=timedelta(minutes=50))
    report(live_agent, at=now, n=60, name="shell.exec", spacing=timedelta(minutes=10))

    with private_worker() as queue:
        check_drift.apply_async(queue=queue)
        assert wait_for(lambda: Alert.objects.filter(fingerprint="drift:payments-bot").exists(), timeout=90)

    assert DriftRun.objects.get().reports.get().verdict == "drift"


def test_beat_writes_the_drift_schedule_where_an_admin_can_edit_it(tmp_path):
    with celery_process("beat", "--loglevel=INFO", f"--pidfile={tmp_path / 'beat.pid'}"):
        found = wait_for(
            lambda: PeriodicTask.objects.filter(name="monitoring-check-drift").exists(), timeout=60
        )
    assert found, "beat did not write the drift schedule to django-celery-beat's tables"
    task = PeriodicTask.objects.get(name="monitoring-check-drift")
    assert task.task == "apps.monitoring.tasks.check_drift"
    assert task.crontab.minute == "7"

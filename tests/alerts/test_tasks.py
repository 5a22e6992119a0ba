"""Alert tasks: idempotent-safe options, time limits, and their schedules."""

import pytest
from django.conf import settings

from apps.alerts import tasks
from apps.alerts.services.alerts import alert_fire


@pytest.mark.parametrize("task", [tasks.fan_out, tasks.deliver, tasks.send_due, tasks.evaluate_rules])
def test_every_alert_task_acks_late_survives_a_lost_worker_and_has_time_limits(task):
    assert task.acks_late and task.reject_on_worker_lost
    assert 0 < task.soft_time_limit < task.time_limit


def test_a_delivery_is_killed_before_its_claim_expires_and_after_the_http_timeout():
    assert tasks.deliver.time_limit == settings.ALERTS_DELIVERY_TIME_LIMIT
    assert tasks.deliver.soft_time_limit > settings.ALERTS_HTTP_TIMEOUT_SECONDS


def test_rules_and_due_sends_are_scheduled_every_minute():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["apps.alerts.tasks.evaluate_rules"] == 60.0
    assert schedule["apps.alerts.tasks.send_due"] == 60.0


def test_a_check_passing_an_unknown_severity_fails_at_once(db):
    with pytest.raises(ValueError, match="'high' is not a valid Severity"):
        alert_fire(fingerprint="x", kind="drift", severity="high", title="t")

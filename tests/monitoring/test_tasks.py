"""The beat tasks: declared in the schedule, time-limited, and a duplicated tick is a no-op."""

import pytest
from django.conf import settings

from apps.monitoring.tasks import check_drift, check_health

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("task", [check_health, check_drift])
def test_tasks_are_time_limited_and_survive_a_lost_worker(task):
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit < task.time_limit


def test_both_checks_are_in_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"apps.monitoring.tasks.check_health", "apps.monitoring.tasks.check_drift"} <= tasks


def test_a_duplicated_tick_does_nothing(live_agent):
    assert check_drift() == 0
    assert check_drift() == -1
    assert check_health() == 0
    assert check_health() == -1

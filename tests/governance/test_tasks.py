"""Beat entries and the thin tasks behind them."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.governance import tasks
from apps.governance.models import ActionRequest

pytestmark = pytest.mark.django_db


def test_expiry_and_warnings_are_scheduled():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "apps.governance.tasks.expire_requests",
        "apps.governance.tasks.warn_expiring_requests",
    } <= scheduled


def test_duplicate_ticks_expire_and_warn_once(ask):
    due, warn = ask(), ask()
    ActionRequest.objects.filter(pk=due.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    ActionRequest.objects.filter(pk=warn.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    assert (tasks.expire_requests.apply().get(), tasks.expire_requests.apply().get()) == (1, 0)
    assert (tasks.warn_expiring_requests.apply().get(), tasks.warn_expiring_requests.apply().get()) == (1, 0)


def test_tasks_have_time_limits():
    for task in (
        tasks.expire_requests,
        tasks.warn_expiring_requests,
        tasks.notify_reviewers,
        tasks.deliver_callback,
    ):
        assert task.time_limit and task.soft_time_limit < task.time_limit

"""A real Celery worker, on the configured broker, against the test database."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import AgentKey
from apps.registry.tasks import record_expired_keys
from tests.celery_helpers import celery_process, private_worker, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="a worker process cannot share the in-memory SQLite test database",
    ),
]


@pytest.fixture
def worker_queue(transactional_db):
    with private_worker() as queue:
        yield queue


def test_the_worker_records_each_key_expiry_once(worker_queue, admin, live_agent):
    key, _ = services.agent_key_create(agent=live_agent, actor=admin)
    AgentKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    # Sent twice, as a duplicated beat tick would: the claim makes the second a no-op.
    record_expired_keys.apply_async(queue=worker_queue)
    record_expired_keys.apply_async(queue=worker_queue)

    assert wait_for(lambda: AuditEvent.objects.filter(name="key.expired").exists()), "the worker did not run"
    time.sleep(1.0)
    assert AuditEvent.objects.filter(name="key.expired").count() == 1
    assert AgentKey.objects.get(pk=key.pk).expiry_recorded_at is not None


def test_beat_copies_the_declared_schedules_where_an_admin_can_edit_them(transactional_db, tmp_path):
    with celery_process("beat", "--loglevel=INFO", f"--pidfile={tmp_path / 'beat.pid'}"):
        found = wait_for(lambda: PeriodicTask.objects.filter(name="registry-record-expired-keys").exists())
    assert found, "beat did not write the schedule to django-celery-beat's tables"
    task = PeriodicTask.objects.get(name="registry-record-expired-keys")
    assert task.task == "apps.registry.tasks.record_expired_keys"
    assert task.interval.every == 300

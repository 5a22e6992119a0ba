"""A real Celery worker, on the configured broker, against the test database."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import AgentKey
from apps.registry.tasks import record_expired_keys

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="a worker process cannot share the in-memory SQLite test database",
    ),
]


@contextmanager
def celery_process(*args: str):
    """Run `celery -A agentgov <args>` against the test database and the configured broker."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "agentgov", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)  # shown by pytest only when the test fails


@pytest.fixture
def worker_queue(transactional_db):
    """A worker consuming a private queue, so no other worker on the broker takes our tasks."""
    queue = f"agentgov-test-{uuid.uuid4().hex[:8]}"
    with celery_process(
        "worker",
        "-Q",
        queue,
        "--pool=solo",
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
        "-n",
        f"{queue}@%h",
    ):
        yield queue


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_records_each_key_expiry_once(worker_queue, admin, live_agent):
    key, _ = services.agent_key_create(agent=live_agent, actor=admin)
    AgentKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    # Sent twice, as a duplicated beat tick would: the claim makes the second a no-op.
    record_expired_keys.apply_async(queue=worker_queue)
    record_expired_keys.apply_async(queue=worker_queue)

    assert _wait_for(lambda: AuditEvent.objects.filter(name="key.expired").exists()), "the worker did not run"
    time.sleep(1.0)
    assert AuditEvent.objects.filter(name="key.expired").count() == 1
    assert AgentKey.objects.get(pk=key.pk).expiry_recorded_at is not None


def test_beat_copies_the_declared_schedules_where_an_admin_can_edit_them(transactional_db, tmp_path):
    with celery_process("beat", "--loglevel=INFO", f"--pidfile={tmp_path / 'beat.pid'}"):
        found = _wait_for(lambda: PeriodicTask.objects.filter(name="registry-record-expired-keys").exists())
    assert found, "beat did not write the schedule to django-celery-beat's tables"
    task = PeriodicTask.objects.get(name="registry-record-expired-keys")
    assert task.task == "apps.registry.tasks.record_expired_keys"
    assert task.interval.every == 300

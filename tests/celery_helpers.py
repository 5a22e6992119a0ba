"""A real Celery worker (or beat) in a subprocess, against the test database and broker."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def celery_process(*args: str, env: dict[str, str] | None = None):
    """Run `celery -A agentgov <args>` against the test database and the configured broker,
    with `env` added to its environment (settings it reads at start)."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **(env or {}),
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


def new_queue() -> str:
    return f"agentgov-test-{uuid.uuid4().hex[:8]}"


@contextmanager
def queue_worker(queue: str, **env: str) -> Iterator[subprocess.Popen]:
    """A worker consuming `queue`; the tasks it enqueues itself (a fan-out, a retry) go to
    `queue` too. Yields the process, for tests that kill it; `env` adds settings."""
    with celery_process(
        "worker",
        "-Q",
        queue,
        "--pool=solo",
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
        "-n",
        f"{queue}-{uuid.uuid4().hex[:4]}@%h",
        env={"CELERY_TASK_DEFAULT_QUEUE": queue, **env},
    ) as process:
        yield process


@contextmanager
def private_worker(**env: str) -> Iterator[str]:
    """A worker consuming a queue of its own, so no other worker on the broker takes our tasks."""
    queue = new_queue()
    with queue_worker(queue, **env):
        yield queue


def wait_for(predicate, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def send_delays_to(monkeypatch, task, queue: str) -> None:
    """Make `task.delay(...)` (and so `delay_on_commit`) publish to `queue`.

    Not by setting `task.queue`: Celery caches a task's routing options at its first send.
    """
    task = task._get_current_object()

    def delay(*args, **kwargs):
        return task.apply_async(args, kwargs, queue=queue)

    monkeypatch.setattr(task, "delay", delay, raising=False)

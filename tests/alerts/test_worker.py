"""Alerts on a real Celery worker, the real Redis broker and PostgreSQL, delivered to an
HTTP receiver running inside the test."""

import os
import signal
import time

import pytest
from django.conf import settings
from django.db import connection

from apps.alerts import services
from apps.alerts.models import Alert, AlertDelivery
from apps.alerts.tasks import evaluate_rules, fan_out
from apps.audit.ingest import events_ingest
from tests.alerts.conftest import fire
from tests.celery_helpers import new_queue, queue_worker, send_delays_to, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite" or not settings.CELERY_BROKER_URL.startswith("redis"),
        reason="needs PostgreSQL shared with the worker, and Redis (redelivery after a worker dies)",
    ),
]


def test_a_threshold_rule_evaluated_on_the_worker_fires_a_signed_webhook(
    admin, live_agent, webhook, receiver
):
    channel = webhook()
    rule = services.rule_create(
        actor=admin,
        name="payments errors",
        metric="error_rate",
        agent=live_agent,
        comparison="gt",
        threshold=10,
        window_minutes=60,
        min_events=10,
        severity="critical",
        enabled=True,
    )
    events = [
        {"type": "tool_call", "name": "charge", "status": "error" if i % 3 == 0 else "ok"} for i in range(30)
    ]
    events_ingest(agent=live_agent, body={"events": events})

    queue = new_queue()
    with queue_worker(queue):
        evaluate_rules.apply_async(queue=queue)
        evaluate_rules.apply_async(queue=queue)  # a duplicated beat tick
        assert wait_for(lambda: receiver.count >= 1, timeout=60), "no notification arrived"
        time.sleep(2)  # time for a duplicate to show up, if there were one

    [request] = receiver.requests
    assert request.signed_with(channel.secret)
    body = request.json
    assert body["event"] == "firing" and body["alert"]["kind"] == "threshold"
    assert body["alert"]["agent"] == "payments-bot" and body["alert"]["details"]["rule"] == rule.pk
    assert AlertDelivery.objects.get().result == "sent"


def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_worker_which_sends_it_once(
    webhook, receiver, monkeypatch
):
    """The receiver holds the first request until the worker sending it is SIGKILLed. Redis
    hands the unacknowledged message to a second worker, which finds the attempt claimed
    by a dead worker (its claim outlived the time limit), records it as interrupted and
    sends it again as attempt 2 with the same delivery key. A third copy never comes."""
    short = {
        "CELERY_BROKER_VISIBILITY_TIMEOUT": "5",
        "ALERTS_DELIVERY_TIME_LIMIT": "15",
        "ALERTS_HTTP_TIMEOUT_SECONDS": "10",
    }
    monkeypatch.setattr(settings, "ALERTS_DELIVERY_TIME_LIMIT", 15)
    webhook()
    receiver.hold()
    queue = new_queue()
    send_delays_to(monkeypatch, fan_out, queue)

    with queue_worker(queue, **short) as first_worker:
        fire()
        assert wait_for(lambda: receiver.count == 1, timeout=60), "the first worker never sent"
        os.kill(first_worker.pid, signal.SIGKILL)
        first_worker.wait(timeout=10)
    receiver.release()  # its answer goes nowhere: the sender is dead

    with queue_worker(queue, **short):
        assert wait_for(lambda: receiver.count == 2, timeout=90), "the delivery was lost with the worker"
        assert wait_for(lambda: AlertDelivery.objects.filter(result="sent").exists(), timeout=30)
        time.sleep(8)  # past the visibility timeout again: a stray copy would have arrived

    assert receiver.count == 2
    first, second = receiver.requests
    assert first.delivery == second.delivery and first.body == second.body
    assert [(d.attempt, d.result) for d in AlertDelivery.objects.order_by("attempt")] == [
        (1, "interrupted"),
        (2, "sent"),
    ]
    assert Alert.objects.get().is_firing


def test_a_drift_check_on_the_worker_over_drifting_events_sends_the_drift_alert(
    live_agent, webhook, receiver
):
    """Issue 5's end to end: seeded drifting events, the scheduled drift task run by a real
    worker, the alert fired, and its signed webhook received here."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.monitoring.tasks import check_drift
    from tests.monitoring.helpers import report

    now = timezone.now()
    report(live_agent, at=now - timedelta(hours=24), n=200, name="github.read", spacing=timedelta(minutes=50))
    report(live_agent, at=now, n=60, name="shell.exec", spacing=timedelta(minutes=10))
    channel = webhook()

    queue = new_queue()
    with queue_worker(queue):
        check_drift.apply_async(queue=queue)
        assert wait_for(lambda: receiver.count >= 1, timeout=90), "no drift notification arrived"

    [request] = receiver.requests
    assert request.signed_with(channel.secret)
    body = request.json
    assert body["event"] == "firing" and body["alert"]["kind"] == "drift"
    assert body["alert"]["agent"] == "payments-bot"
    assert Alert.objects.get(fingerprint="drift:payments-bot").is_firing

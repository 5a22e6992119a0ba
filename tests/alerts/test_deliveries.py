"""Delivery attempts: claimed once, retried with backoff, cancelled when moot, and a
channel that keeps failing disabled. The receiver is a real local HTTP server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts import services
from apps.alerts.models import AlertDelivery, DeliveryResult
from apps.alerts.services.alerts import episode_of
from apps.alerts.services.deliveries import (
    deliveries_stranded,
    delivery_attempt,
    notifications_fan_out,
    repeats_due,
)
from apps.audit.models import AuditEvent
from tests.alerts.conftest import fire

pytestmark = pytest.mark.django_db


def _fan_out(alert, event="firing") -> list[int]:
    return notifications_fan_out(alert_id=alert.pk, event=event, episode=episode_of(alert))


def test_a_firing_alert_reaches_the_webhook_signed_once_per_channel(webhook, receiver):
    channel = webhook()
    alert = fire()
    [delivery_id] = _fan_out(alert)
    assert _fan_out(alert) == [delivery_id]  # a redelivered fan-out finds the same attempt

    assert delivery_attempt(delivery_id=delivery_id).retry_id is None
    assert delivery_attempt(delivery_id=delivery_id).retry_id is None  # a duplicate message: claimed already

    [request] = receiver.requests
    assert request.signed_with(channel.secret)
    assert not request.signed_with("another secret")
    assert request.json["event"] == "firing" and request.json["alert"]["title"] == "Disk on fire"
    assert request.delivery == request.json["delivery"] == AlertDelivery.objects.get().key
    delivery = AlertDelivery.objects.get()
    assert delivery.result == DeliveryResult.SENT and delivery.finished_at
    channel.refresh_from_db()
    assert channel.last_success_at and channel.consecutive_failures == 0


def test_routing_by_severity_and_team(webhook, receiver):
    everything = webhook(name="everything", min_severity="info")
    critical_only = webhook(name="critical", min_severity="critical")
    payments_only = webhook(name="payments", min_severity="info", teams=["payments"])

    routed = {
        AlertDelivery.objects.get(pk=pk).channel for pk in _fan_out(fire(severity="warning", team="search"))
    }
    assert routed == {everything}
    routed = {
        AlertDelivery.objects.get(pk=pk).channel
        for pk in _fan_out(fire(fingerprint="other", severity="critical", team="payments"))
    }
    assert routed == {everything, critical_only, payments_only}


def test_a_server_error_is_retried_with_growing_backoff_as_new_attempt_rows(webhook, receiver, settings):
    settings.ALERTS_RETRY_BACKOFF_SECONDS = 10
    webhook()
    receiver.status = 503
    [first] = _fan_out(fire())

    outcome = delivery_attempt(delivery_id=first)
    assert 10 <= outcome.countdown <= 12
    second = delivery_attempt(delivery_id=outcome.retry_id)
    assert 20 <= second.countdown <= 24

    attempts = list(AlertDelivery.objects.order_by("attempt"))
    assert [(a.attempt, a.result) for a in attempts] == [(1, "failed"), (2, "failed"), (3, "pending")]
    assert attempts[0].error.startswith("HTTP 503") and len({a.key for a in attempts}) == 1
    assert attempts[2].not_before > timezone.now() + timedelta(seconds=15)
    assert {r.delivery for r in receiver.requests} == {attempts[0].key}


def test_attempts_stop_at_the_configured_number(webhook, receiver, settings):
    settings.ALERTS_DELIVERY_ATTEMPTS = 2
    webhook()
    receiver.status = 500
    [first] = _fan_out(fire())
    retry = delivery_attempt(delivery_id=first).retry_id
    assert delivery_attempt(delivery_id=retry).retry_id is None
    assert AlertDelivery.objects.count() == 2 and receiver.count == 2


def test_a_permanent_error_disables_the_channel_with_its_reason(webhook, receiver):
    channel = webhook()
    receiver.status = 404
    [first] = _fan_out(fire())

    assert delivery_attempt(delivery_id=first).retry_id is None
    channel.refresh_from_db()
    assert not channel.enabled and "HTTP 404" in channel.disabled_reason
    assert AuditEvent.objects.get(name="alert_channel.disabled").rationale == channel.disabled_reason
    assert _fan_out(fire(fingerprint="another")) == []  # a disabled channel gets nothing


def test_consecutive_failures_disable_a_channel_and_enabling_resets_them(webhook, receiver, settings, admin):
    settings.ALERTS_CHANNEL_MAX_FAILURES = 3
    channel = webhook()
    receiver.status = 502
    pending = _fan_out(fire())[0]
    while pending:
        pending = delivery_attempt(delivery_id=pending).retry_id

    channel.refresh_from_db()
    assert not channel.enabled and channel.consecutive_failures == 3
    assert "3 attempts in a row failed" in channel.disabled_reason
    services.channel_enable(channel=channel, actor=admin)
    channel.refresh_from_db()
    assert channel.enabled and channel.consecutive_failures == 0 and not channel.disabled_reason


def test_an_attempt_is_cancelled_if_the_alert_was_silenced_meanwhile(webhook, receiver, make_user):
    webhook()
    alert = fire()
    [first] = _fan_out(alert)
    services.alert_silence(
        alert=alert,
        actor=make_user("reviewer"),
        until=timezone.now() + timedelta(hours=1),
        reason="deploying",
    )
    delivery_attempt(delivery_id=first)
    assert AlertDelivery.objects.get().result == DeliveryResult.CANCELLED and receiver.count == 0


def test_repeats_go_once_per_interval_until_acknowledged(webhook, receiver, make_user, settings):
    settings.ALERTS_REPEAT_MINUTES = 30
    webhook()
    alert = fire()
    now = timezone.now()
    assert repeats_due(now=now + timedelta(minutes=29)) == []

    first_repeat = repeats_due(now=now + timedelta(minutes=31))
    assert len(first_repeat) == 1
    assert repeats_due(now=now + timedelta(minutes=45)) == first_repeat  # a second tick: same attempt
    delivery_attempt(delivery_id=first_repeat[0])
    assert repeats_due(now=now + timedelta(minutes=50)) == []
    assert len(repeats_due(now=now + timedelta(minutes=61))) == 1

    services.alert_acknowledge(alert=alert, actor=make_user("reviewer"))
    assert repeats_due(now=now + timedelta(minutes=95)) == []
    assert [r.json["event"] for r in receiver.requests] == ["repeat"]


def test_a_channel_can_repeat_more_often_or_never(webhook, settings):
    settings.ALERTS_REPEAT_MINUTES = 60
    webhook(name="often", repeat_minutes=5)
    webhook(name="never", repeat_minutes=0)
    fire()
    due = repeats_due(now=timezone.now() + timedelta(minutes=6))
    assert [AlertDelivery.objects.get(pk=pk).channel.name for pk in due] == ["often"]


def test_an_attempt_claimed_by_a_worker_that_died_is_sent_again_once(webhook, receiver, settings):
    webhook()
    [first] = _fan_out(fire())
    # A worker claimed it, then died before recording the result.
    AlertDelivery.objects.filter(pk=first).update(result=DeliveryResult.SENDING, started_at=timezone.now())

    busy = delivery_attempt(delivery_id=first)
    assert busy.retry_id == first and busy.countdown > settings.ALERTS_DELIVERY_TIME_LIMIT - 5
    assert receiver.count == 0

    long_ago = timezone.now() - timedelta(seconds=settings.ALERTS_DELIVERY_TIME_LIMIT + 1)
    AlertDelivery.objects.filter(pk=first).update(started_at=long_ago)
    assert deliveries_stranded() == [first]
    redo = delivery_attempt(delivery_id=first)
    assert delivery_attempt(delivery_id=first).retry_id is None  # a second redelivery: already taken over
    delivery_attempt(delivery_id=redo.retry_id)

    assert [(d.attempt, d.result) for d in AlertDelivery.objects.order_by("attempt")] == [
        (1, "interrupted"),
        (2, "sent"),
    ]
    assert receiver.count == 1


def test_a_pending_attempt_whose_message_was_lost_is_found_by_the_sweep(webhook):
    webhook()
    [first] = _fan_out(fire())
    assert deliveries_stranded() == []
    assert deliveries_stranded(now=timezone.now() + timedelta(minutes=3)) == [first]


def test_a_transport_crash_is_a_failed_attempt_not_a_stuck_claim(webhook, monkeypatch):
    from apps.alerts.transports.webhook import WebhookTransport

    def crash(*args):
        raise KeyError("bug")

    monkeypatch.setattr(WebhookTransport, "notify", crash)
    webhook()
    [first] = _fan_out(fire())
    assert delivery_attempt(delivery_id=first).retry_id is not None
    assert "unexpected error: KeyError" in AlertDelivery.objects.get(pk=first).error


def test_the_whole_path_from_fire_to_receiver_and_resolved(
    webhook, receiver, inline, django_capture_on_commit_callbacks
):
    webhook()
    with django_capture_on_commit_callbacks(execute=True):
        alert = fire()
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_resolve(fingerprint=alert.fingerprint)
    assert [r.json["event"] for r in receiver.requests] == ["firing", "resolved"]
    assert receiver.requests[1].json["alert"]["state"] == "resolved"


def test_resolved_goes_only_where_firing_was_announced(webhook, make_user):
    told = webhook(name="told")
    alert = fire()
    _fan_out(alert)
    webhook(name="added later")
    services.alert_resolve(fingerprint=alert.fingerprint)
    assert [AlertDelivery.objects.get(pk=pk).channel for pk in _fan_out(alert, "resolved")] == [told]


def test_an_alert_silenced_while_it_fired_resolves_quietly(webhook, make_user):
    webhook()
    alert = fire()
    services.alert_silence(
        alert=alert, actor=make_user("reviewer"), until=timezone.now() + timedelta(hours=1), reason="known"
    )
    assert _fan_out(alert) == []
    services.alert_unsilence(alert=alert, actor=make_user("reviewer"))
    services.alert_resolve(fingerprint=alert.fingerprint)
    assert _fan_out(alert, "resolved") == []

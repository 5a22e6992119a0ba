"""Sending notifications: fan-out to the routed channels, one claimed attempt at a time,
retries with backoff, repeats while firing, and recovery of attempts lost with a worker.

At-least-once, never twice by our own doing: an attempt is claimed by a conditional
update (pending -> sending) before anything is sent, so a redelivered message or a
duplicate tick finds it taken. Only an attempt whose worker died mid-send (its claim
older than the delivery time limit) is sent again, as the next attempt with the same
key, which receivers get as X-Agentgov-Delivery to drop a copy they already have.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.alerts.models import (
    Alert,
    AlertDelivery,
    AlertState,
    Channel,
    DeliveryEvent,
    DeliveryResult,
)
from apps.alerts.services.alerts import episode_of
from apps.alerts.transports import TRANSPORTS, TransportError

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
# A pending attempt this far past its time has lost its queued message (the worker that
# held its countdown died): the periodic sweep sends it again.
STRANDED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Outcome:
    """What the task does next: nothing, or run `retry_id` after `countdown` seconds."""

    retry_id: int | None = None
    countdown: float = 0.0


def notification_key(alert: Alert, episode: str, event: str, channel: Channel, repeat: int = 0) -> str:
    suffix = f"{event}-{repeat}" if repeat else event
    return f"alert-{alert.pk}-{episode}-{suffix}-channel-{channel.pk}"


def lease() -> timedelta:
    """How long a claim is trusted: a delivery task is killed at its hard time limit."""
    return timedelta(seconds=settings.ALERTS_DELIVERY_TIME_LIMIT)


def backoff(attempt: int) -> float:
    base = settings.ALERTS_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
    return min(MAX_BACKOFF_SECONDS, base * random.uniform(1.0, 1.2))  # jitter spreads a burst


def _first_attempts(alert: Alert, event: str, episode: str, channels, repeat: int = 0) -> list[int]:
    """The first attempt per channel (created once per key); ids of those still pending."""
    pending = []
    for channel in channels:
        delivery, _ = AlertDelivery.objects.get_or_create(
            key=notification_key(alert, episode, event, channel, repeat),
            attempt=1,
            defaults={"alert": alert, "channel": channel, "event": event},
        )
        if delivery.result == DeliveryResult.PENDING:
            pending.append(delivery.pk)
    return pending


@transaction.atomic
def notifications_fan_out(*, alert_id: int, event: str, episode: str) -> list[int]:
    """One notification per enabled channel that routes the alert. Returns the attempts to
    send; pending ones already created by an earlier run of this fan-out are included, so
    a fan-out that died before enqueueing them is completed by its redelivery."""
    alert = Alert.objects.filter(pk=alert_id).select_related("agent").first()
    if alert is None or alert.is_silenced:
        return []
    channels = Channel.objects.filter(enabled=True)
    if event == DeliveryEvent.RESOLVED:
        # "Resolved" only where "firing" was announced: not to a channel added since, nor
        # after a firing that a silence kept quiet.
        announced = AlertDelivery.objects.filter(
            alert=alert, event=DeliveryEvent.FIRING, key__contains=f"-{episode}-"
        )
        channels = channels.filter(pk__in=announced.values("channel_id"))
    return _first_attempts(alert, event, episode, [channel for channel in channels if channel.routes(alert)])


@transaction.atomic
def repeats_due(*, now: datetime | None = None) -> list[int]:
    """Repeat notifications for alerts firing, unacknowledged and not silenced, once per
    interval: the repeat number is part of the key, so two ticks in one interval send one."""
    now = now or timezone.now()
    alerts = (
        Alert.objects.filter(state=AlertState.FIRING, acknowledged_at__isnull=True)
        .exclude(silenced_until__gt=now)
        .select_related("agent")
    )
    channels = list(Channel.objects.filter(enabled=True))
    pending = []
    for alert in alerts:
        for channel in channels:
            minutes = (
                settings.ALERTS_REPEAT_MINUTES if channel.repeat_minutes is None else channel.repeat_minutes
            )
            if not minutes or not channel.routes(alert):
                continue
            repeat = (now - alert.first_seen) // timedelta(minutes=minutes)
            if repeat >= 1:
                pending += _first_attempts(alert, DeliveryEvent.REPEAT, episode_of(alert), [channel], repeat)
    return pending


def deliveries_stranded(*, now: datetime | None = None) -> list[int]:
    """Attempts whose message was lost: pending long past their time, or claimed by a
    worker that is dead by now. Sending them to `deliver` again is safe (see the claim)."""
    now = now or timezone.now()
    pending = AlertDelivery.objects.filter(result=DeliveryResult.PENDING, not_before__lt=now - STRANDED_AFTER)
    sending = AlertDelivery.objects.filter(result=DeliveryResult.SENDING, started_at__lt=now - lease())
    return list(pending.values_list("pk", flat=True)) + list(sending.values_list("pk", flat=True))


def _finish(delivery: AlertDelivery, result: str, error: str = "") -> None:
    delivery.result, delivery.error, delivery.finished_at = result, error[:2000], timezone.now()
    delivery.save(update_fields=["result", "error", "finished_at"])


def _next_attempt(delivery: AlertDelivery, countdown: float) -> AlertDelivery:
    return AlertDelivery.objects.create(
        alert=delivery.alert,
        channel=delivery.channel,
        event=delivery.event,
        key=delivery.key,
        attempt=delivery.attempt + 1,
        not_before=timezone.now() + timedelta(seconds=countdown),
    )


def _why_not_send(delivery: AlertDelivery) -> str:
    """A reason to cancel rather than send, judged at send time (things change meanwhile)."""
    alert = delivery.alert
    if delivery.event == DeliveryEvent.TEST:
        return ""
    if not delivery.channel.enabled:
        return f"the channel was disabled: {delivery.channel.disabled_reason}"
    if alert.is_silenced:
        return f"the alert is silenced until {alert.silenced_until:%Y-%m-%d %H:%M %Z}"
    if delivery.event == DeliveryEvent.REPEAT and alert.acknowledged_at is not None:
        return "the alert was acknowledged"
    if delivery.event == DeliveryEvent.REPEAT and alert.state != AlertState.FIRING:
        return "the alert resolved"
    return ""


def _taken(delivery_id: int, now: datetime) -> Outcome:
    """The attempt is not pending: done, in hand elsewhere, or orphaned by a dead worker."""
    delivery = AlertDelivery.objects.filter(pk=delivery_id).select_related("channel", "alert").first()
    if delivery is None or delivery.result != DeliveryResult.SENDING:
        return Outcome()
    lease_ends = delivery.started_at + lease()
    if lease_ends > now:
        # Its worker may still be sending: look again when the claim runs out.
        return Outcome(retry_id=delivery_id, countdown=(lease_ends - now).total_seconds() + 1)
    with transaction.atomic():
        orphaned = AlertDelivery.objects.filter(
            pk=delivery_id, result=DeliveryResult.SENDING, started_at=delivery.started_at
        ).update(
            result=DeliveryResult.INTERRUPTED,
            finished_at=now,
            error="the worker stopped while sending; whether it arrived is unknown, so it is sent again",
        )
        if not orphaned or delivery.attempt >= settings.ALERTS_DELIVERY_ATTEMPTS:
            return Outcome()
        return Outcome(retry_id=_next_attempt(delivery, 0).pk)


@transaction.atomic
def _failed(delivery: AlertDelivery, error: TransportError) -> Outcome:
    from apps.alerts.services.channels import channel_disable

    _finish(delivery, DeliveryResult.FAILED, error.message)
    if delivery.event == DeliveryEvent.TEST:
        return Outcome()  # a test tells the person; it does not count against the channel
    channel = Channel.objects.select_for_update().get(pk=delivery.channel_id)
    channel.consecutive_failures += 1
    channel.save(update_fields=["consecutive_failures"])
    if error.permanent:
        channel_disable(channel=channel, reason=f"Permanent error, retrying cannot help: {error.message}")
        return Outcome()
    if channel.consecutive_failures >= settings.ALERTS_CHANNEL_MAX_FAILURES:
        channel_disable(
            channel=channel,
            reason=f"{channel.consecutive_failures} attempts in a row failed; the last: {error.message}",
        )
        return Outcome()
    if delivery.attempt >= settings.ALERTS_DELIVERY_ATTEMPTS:
        return Outcome()
    countdown = backoff(delivery.attempt)
    return Outcome(retry_id=_next_attempt(delivery, countdown).pk, countdown=countdown)


def delivery_attempt(*, delivery_id: int) -> Outcome:
    """Claim the attempt, send it, record the result. No transaction or lock is held while
    the transport talks to the network."""
    now = timezone.now()
    claimed = AlertDelivery.objects.filter(pk=delivery_id, result=DeliveryResult.PENDING).update(
        result=DeliveryResult.SENDING, started_at=now
    )
    if not claimed:
        return _taken(delivery_id, now)
    delivery = AlertDelivery.objects.select_related("alert__agent", "channel").get(pk=delivery_id)
    reason = _why_not_send(delivery)
    if reason:
        _finish(delivery, DeliveryResult.CANCELLED, reason)
        return Outcome()
    transport = TRANSPORTS[delivery.channel.kind](delivery.channel)
    try:
        transport.notify(delivery.alert, delivery.event, delivery.key)
    except TransportError as exc:
        return _failed(delivery, exc)
    except SoftTimeLimitExceeded:
        return _failed(delivery, TransportError("took longer than the delivery time limit"))
    except Exception as exc:  # a bug in a transport must not leave the attempt claimed forever
        logger.exception("alert transport %s crashed", delivery.channel.kind)
        return _failed(delivery, TransportError(f"unexpected error: {type(exc).__name__}: {exc}"))
    _finish(delivery, DeliveryResult.SENT)
    if delivery.event != DeliveryEvent.TEST:
        Channel.objects.filter(pk=delivery.channel_id).update(consecutive_failures=0, last_success_at=now)
    return Outcome()

"""Channels: where alerts go. Admins create and edit them; failing ones disable themselves."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from apps.alerts.models import AlertDelivery, Channel, ChannelKind, DeliveryEvent, Severity
from apps.alerts.transports import TRANSPORTS
from apps.audit.models import EventType
from apps.audit.services import SYSTEM, record

EDITABLE = ("kind", "name", "target", "min_severity", "teams", "repeat_minutes")


def _audit(channel: Channel, actor, name: str, rationale: str = "", **data) -> None:
    # Never the target: a Slack URL or a webhook path is itself a credential.
    record(
        actor=actor,
        type=EventType.CHANGE,
        name=name,
        resource=f"alert_channel:{channel.name}",
        rationale=rationale,
        data={"kind": channel.kind, **data},
    )


def _apply(channel: Channel, **fields) -> Channel:
    if fields.get("kind") not in ChannelKind.values:
        raise ApplicationError(f"choose one of: {', '.join(ChannelKind.values)}", field="kind")
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise ApplicationError("give the channel a name", field="name")
    if fields.get("min_severity") not in Severity.values:
        raise ApplicationError(f"choose one of: {', '.join(Severity.values)}", field="min_severity")
    fields["target"] = TRANSPORTS[fields["kind"]].clean_target(fields.get("target") or "")
    fields["teams"] = sorted({team.strip() for team in fields.get("teams") or [] if team.strip()})
    for name in EDITABLE:
        setattr(channel, name, fields.get(name))
    if channel.kind == ChannelKind.WEBHOOK and not channel.secret:
        channel.secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise ApplicationError("another channel has this name", field="name") from None
    return channel


@transaction.atomic
def channel_create(*, actor, **fields) -> Channel:
    """A new, enabled channel. Webhooks get a signing secret, shown to admins to configure
    the receiver."""
    channel = _apply(Channel(created_by=actor), **fields)
    _audit(channel, actor, "alert_channel.created", min_severity=channel.min_severity, teams=channel.teams)
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, actor, **fields) -> Channel:
    channel = _apply(Channel.objects.select_for_update().get(pk=channel.pk), **fields)
    _audit(channel, actor, "alert_channel.updated", min_severity=channel.min_severity, teams=channel.teams)
    return channel


@transaction.atomic
def channel_rotate_secret(*, channel: Channel, actor) -> Channel:
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.kind != ChannelKind.WEBHOOK:
        raise ConflictError("only webhook channels sign their messages")
    channel.secret = secrets.token_urlsafe(32)
    channel.save(update_fields=["secret"])
    _audit(channel, actor, "alert_channel.secret_rotated")
    return channel


@transaction.atomic
def channel_disable(*, channel: Channel, reason: str, actor=SYSTEM) -> Channel:
    """Stop sending to the channel; the reason is shown on the Channels page."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if not channel.enabled:
        return channel
    channel.enabled, channel.disabled_reason, channel.disabled_at = False, reason, timezone.now()
    channel.save(update_fields=["enabled", "disabled_reason", "disabled_at"])
    _audit(channel, actor, "alert_channel.disabled", rationale=reason)
    return channel


@transaction.atomic
def channel_enable(*, channel: Channel, actor) -> Channel:
    """Back in service with a clean failure count (after someone fixed the receiver)."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.enabled:
        raise ConflictError("the channel is already enabled")
    channel.enabled, channel.disabled_reason, channel.disabled_at = True, "", None
    channel.consecutive_failures = 0
    channel.save(update_fields=["enabled", "disabled_reason", "disabled_at", "consecutive_failures"])
    _audit(channel, actor, "alert_channel.enabled")
    return channel


def channel_test(*, channel: Channel, actor) -> AlertDelivery:
    """Send a test notification now, in the request, and return its attempt row.

    Works on a disabled channel too (that is how one checks a fix before re-enabling);
    a failed test does not count against the channel.
    """
    from apps.alerts.services.deliveries import delivery_attempt

    with transaction.atomic():
        delivery = AlertDelivery.objects.create(
            channel=channel,
            event=DeliveryEvent.TEST,
            key=f"test-channel-{channel.pk}-{secrets.token_hex(8)}",
        )
        _audit(channel, actor, "alert_channel.tested")
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery

"""Reads of the alerts app worth naming."""

from django.db.models import Count, QuerySet

from apps.alerts.models import Alert, AlertDelivery, AlertRule, AlertState, Channel, Severity

# Firing first, then the most recently seen.
LIST_ORDER = ("state", "-last_seen", "-id")


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("agent", "acknowledged_by").order_by(*LIST_ORDER)


def alert_deliveries(alert: Alert) -> QuerySet[AlertDelivery]:
    return alert.deliveries.select_related("channel").order_by("-created_at", "-id")


def firing_counts() -> list[tuple[str, str, int]]:
    """(severity, label, firing alerts), most severe first, every severity present."""
    rows = Alert.objects.filter(state=AlertState.FIRING).values_list("severity").annotate(n=Count("id"))
    counts = dict(rows.values_list("severity", "n"))
    return [(value, label, counts.get(value, 0)) for value, label in reversed(Severity.choices)]


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.order_by("-enabled", "name")


def channel_deliveries(channel: Channel, limit: int = 20) -> QuerySet[AlertDelivery]:
    return channel.deliveries.select_related("alert").order_by("-created_at", "-id")[:limit]


def rule_list() -> QuerySet[AlertRule]:
    return AlertRule.objects.select_related("agent").order_by("name")


def firing_count() -> int:
    """Alerts firing now, for the overview."""
    return Alert.objects.filter(state=AlertState.FIRING).count()

"""Read-only admin for alerts: they are raised by checks and handled on the Alerts pages."""

from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.alerts.models import Alert, AlertDelivery, AlertRule, Channel

PAGES_NOTE = "Read-only here: use the Alerts pages, which check roles and write the audit trail."


@admin.register(Alert)
class AlertAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only here: acknowledge and silence alerts from the Alerts page."
    list_display = ("title", "kind", "severity", "state", "agent", "first_seen", "last_seen")
    list_filter = ("state", "severity", "kind")
    search_fields = ("fingerprint", "title")


@admin.register(Channel)
class ChannelAdmin(ReadOnlyModelAdmin):
    read_only_note = PAGES_NOTE
    list_display = ("name", "kind", "min_severity", "enabled", "consecutive_failures")
    list_filter = ("kind", "enabled")
    exclude = ("secret",)


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyModelAdmin):
    read_only_note = PAGES_NOTE
    list_display = ("key", "attempt", "event", "result", "channel", "created_at")
    list_filter = ("result", "event")
    search_fields = ("key",)


@admin.register(AlertRule)
class AlertRuleAdmin(ReadOnlyModelAdmin):
    read_only_note = PAGES_NOTE
    list_display = ("name", "metric", "agent", "comparison", "threshold", "enabled", "last_value")
    list_filter = ("metric", "enabled")

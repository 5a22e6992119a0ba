"""Read-only admin for alerts: they are raised by checks and handled on the Alerts page."""

from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only here: acknowledge and silence alerts from the Alerts page."
    list_display = ("title", "kind", "severity", "state", "agent", "first_seen", "last_seen")
    list_filter = ("state", "severity", "kind")
    search_fields = ("fingerprint", "title")

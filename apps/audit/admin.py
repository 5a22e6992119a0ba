from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: the audit trail is append-only and written only by agentgov itself."
    list_display = ("occurred_at", "type", "name", "status", "actor_label", "agent", "source_ip")
    list_filter = ("type", "status", "actor_type")
    search_fields = ("name", "actor_label", "resource")
    list_select_related = ("agent",)
    ordering = ("-occurred_at", "-id")
    # Counting an ever-growing table on every page load is what the trail pages avoid.
    show_full_result_count = False

from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.audit.models import AuditEvent, AuditExport, ChainCheckpoint, ChainHead, IntegrityCheck


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


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: each chain's newest link, moved only when an event is recorded."
    list_display = ("key", "seq", "hash", "updated_at")
    search_fields = ("key",)


@admin.register(ChainCheckpoint)
class ChainCheckpointAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: signed by Celery beat and by the retention job."
    list_display = ("key", "kind", "seq", "created_at")
    list_filter = ("kind",)
    search_fields = ("key",)


@admin.register(IntegrityCheck)
class IntegrityCheckAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: one row per run of verify_audit or the nightly verification."
    list_display = ("started_at", "scope", "ok", "chains_checked", "events_checked", "problem")
    list_filter = ("ok",)


@admin.register(AuditExport)
class AuditExportAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: auditors export from the audit trail's Export page, the API or export_audit."
    list_display = ("created_at", "requested_label", "format", "status", "rows_written", "chain_ok")
    list_filter = ("status", "format", "chain_ok")
    search_fields = ("uuid", "requested_label")
    list_select_related = ("requested_by",)

from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.monitoring.models import AgentMonitor, DriftReport, DriftRun, HealthEvent, SweepClock


@admin.register(AgentMonitor)
class AgentMonitorAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: change an agent's monitoring on its Monitoring settings page."
    list_display = ("agent", "state", "state_changed_at", "last_heartbeat_at", "interval", "grace")
    list_filter = ("state", "drift_baseline")
    search_fields = ("agent__slug", "agent__name")


@admin.register(HealthEvent)
class HealthEventAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: written by the health sweep."
    list_display = ("at", "agent", "from_state", "to_state", "reason")
    list_filter = ("to_state",)
    search_fields = ("agent__slug",)


@admin.register(SweepClock)
class SweepClockAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: claimed by each sweep run. Schedules are under Periodic tasks."
    list_display = ("name", "next_run_at", "last_started_at")


@admin.register(DriftRun)
class DriftRunAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: written by the drift check."
    list_display = ("as_of", "started_at", "finished_at", "agents_checked", "agents_drifting")


@admin.register(DriftReport)
class DriftReportAdmin(ReadOnlyModelAdmin):
    read_only_note = "Read-only: written by the drift check."
    list_display = ("as_of", "agent", "verdict", "severity", "summary")
    list_filter = ("verdict",)
    search_fields = ("agent__slug",)

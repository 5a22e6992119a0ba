"""Read-only admin for governance: policies, requests, limits and holds change through the pages
and the API, where every change is decided by a service and audited."""

from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.governance.models import (
    ActionRequest,
    AgentLimits,
    Approval,
    CallbackAttempt,
    PolicyVersion,
    ResourceHold,
)

NOTE = "Read-only here: governance changes go through the Governance pages or the API."


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyModelAdmin):
    read_only_note = NOTE
    list_display = ("number", "author", "comment", "created_at")


@admin.register(ActionRequest)
class ActionRequestAdmin(ReadOnlyModelAdmin):
    read_only_note = NOTE
    list_display = ("uuid", "agent", "action", "resource", "status", "rule", "created_at")
    list_filter = ("status", "verdict")
    search_fields = ("uuid", "action", "resource", "idempotency_key")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyModelAdmin):
    read_only_note = NOTE
    list_display = ("request", "reviewer", "verdict", "created_at")


@admin.register(AgentLimits)
class AgentLimitsAdmin(ReadOnlyModelAdmin):
    read_only_note = NOTE
    list_display = ("agent", "daily_budget", "over_limit", "updated_at")


@admin.register(ResourceHold)
class ResourceHoldAdmin(ReadOnlyModelAdmin):
    read_only_note = NOTE
    list_display = ("pattern", "reason", "created_at", "ends_at", "released_at")


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyModelAdmin):
    read_only_note = NOTE
    list_display = ("request", "attempt", "ok", "status_code", "created_at")

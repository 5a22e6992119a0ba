"""Shared admin base: the admin shows what only services may write."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """No add, change or delete, whoever asks; `read_only_note` says where changes happen."""

    read_only_note = "Read-only."

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"subtitle": self.read_only_note, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {"subtitle": self.read_only_note, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)


class AuditedAdminMixin:
    """Changes made in the Django admin enter the audit trail too, in the admin's own
    transaction, next to Django's LogEntry: who changed which object, and what."""

    def _record(self, request, obj_repr: str, obj_pk, verb: str, message) -> None:
        from apps.audit.models import EventType
        from apps.audit.services import record

        opts = self.model._meta
        record(
            actor=request.user,
            type=EventType.CHANGE,
            name=f"admin.{opts.model_name}.{verb}",
            resource=f"{opts.label_lower}:{obj_pk}",
            data={"object": obj_repr, "change": message},
            source_ip=request.META.get("REMOTE_ADDR"),
        )

    def log_addition(self, request, obj, message):
        self._record(request, str(obj), obj.pk, "added", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._record(request, str(obj), obj.pk, "changed", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._record(request, str(obj), obj.pk, "deleted", [])
        return super().log_deletions(request, queryset)


def audit_admin_of(*models) -> None:
    """Re-register already registered admins with AuditedAdminMixin mixed in."""
    for model in models:
        current = admin.site._registry[model].__class__
        admin.site.unregister(model)
        admin.site.register(model, type(f"Audited{current.__name__}", (AuditedAdminMixin, current), {}))


# Schedules are governance too: who changed when checks run is worth knowing.
from django_celery_beat.models import (  # noqa: E402
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

audit_admin_of(PeriodicTask, IntervalSchedule, CrontabSchedule, ClockedSchedule, SolarSchedule)

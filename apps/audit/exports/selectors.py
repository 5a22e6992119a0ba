"""Reads of exports: each person sees their own; a superuser sees everyone's."""

from django.db.models import QuerySet

from apps.audit.models import AuditExport


def exports_visible_to(user) -> QuerySet[AuditExport]:
    exports = AuditExport.objects.select_related("requested_by").order_by("-created_at", "-id")
    return exports if user.is_superuser else exports.filter(requested_by=user)


def export_visible_to(user, uuid) -> AuditExport:
    """Raise AuditExport.DoesNotExist for another person's export, as for a missing one."""
    return exports_visible_to(user).get(uuid=uuid)

"""Export bundles do not pile up on disk: after AUDIT_EXPORT_KEEP_DAYS they are deleted.

The export's row stays, with the hashes of its manifest data and bundle, so the trail still
says what was exported, by whom, and what the bundle's SHA-256 was; an auditor who kept the
bundle can still prove it genuine with the offline verifier.
"""

import shutil
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.exports.service import export_dir
from apps.audit.models import AuditExport, EventType, ExportStatus
from apps.audit.services import SYSTEM, record

ENDED = (ExportStatus.DONE, ExportStatus.FAILED)


def exports_expire(now: datetime | None = None) -> int:
    """Delete the files of exports that ended more than AUDIT_EXPORT_KEEP_DAYS ago; returns
    how many were expired. Each is claimed by a conditional update, so two runs at once
    expire it once."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_EXPORT_KEEP_DAYS)
    due = AuditExport.objects.filter(status__in=ENDED, finished_at__lt=cutoff).values_list("pk", "status")
    return sum(_expire(pk, status) for pk, status in list(due))


@transaction.atomic
def _expire(pk: int, status: str) -> bool:
    if not AuditExport.objects.filter(pk=pk, status=status).update(status=ExportStatus.EXPIRED):
        return False  # another run took it
    export = AuditExport.objects.get(pk=pk)
    record(
        actor=SYSTEM,
        type=EventType.CHANGE,
        name="audit.export_expired",
        resource=export.resource_name,
        data={
            "export": str(export.uuid),
            "was": status,
            "bundle_sha256": export.bundle_sha256,
            "kept_days": settings.AUDIT_EXPORT_KEEP_DAYS,
        },
    )
    # Files last: if the transaction rolls back, the bundle is still there.
    transaction.on_commit(lambda: shutil.rmtree(export_dir(export), ignore_errors=True))
    return True

"""Exports of the audit trail as signed evidence bundles: request, run, download.

An export is requested (an audit event), run by a Celery job or the `export_audit` command
(streamed, so memory stays flat), and downloaded (an audit event each time).
"""

import logging
import os
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError, PermissionRefused
from apps.accounts.roles import Capability, user_can
from apps.audit.exports.bundle import BundleWriter, file_sha256, signature_block
from apps.audit.exports.scope import events_in_scope, export_filters, scope_agent
from apps.audit.exports.writers import COLUMNS, Written, write_events
from apps.audit.integrity import VerificationReport, chains_verify
from apps.audit.models import AuditExport, EventStatus, EventType, ExportFormat, ExportStage, ExportStatus
from apps.audit.services import SYSTEM, record

log = logging.getLogger(__name__)

EXPORT_TIME_LIMIT = 3600
"""Seconds: the job's hard limit. A run older than this is dead, and its export claimable again."""
PROGRESS_EVERY_ROWS = 10_000
BUNDLE_FORMAT_VERSION = 1


class ExportBusy(Exception):
    """Another run holds the export; it may be claimed again after `retry_in` seconds."""

    def __init__(self, retry_in: int) -> None:
        super().__init__(f"the export is being run elsewhere; retry in {retry_in}s")
        self.retry_in = retry_in


def export_dir(export: AuditExport) -> Path:
    return Path(settings.VAR_DIR) / "exports" / str(export.uuid)


def bundle_path(export: AuditExport) -> Path:
    return export_dir(export) / "bundle.zip"


def data_file_name(export: AuditExport) -> str:
    return f"audit-events.{export.format}"


def download_name(export: AuditExport) -> str:
    return f"agentgov-audit-{export.created_at:%Y%m%d-%H%M%S}-{str(export.uuid)[:8]}.zip"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def agentgov_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agentgov")
    except PackageNotFoundError:  # running from a checkout that was never pip-installed
        import tomllib

        pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["version"] if pyproject.exists() else "unknown"


@transaction.atomic
def export_request(
    *,
    actor,
    filters: Mapping,
    format: str,
    enqueue: bool = True,
    requested_label: str = "",
) -> AuditExport:
    """Record a request to export the trail events matching `filters` (AuditEventFilter's
    parameters) as `format`, and queue the job once the transaction commits.

    `actor` is an auditor (or superuser), or SYSTEM for the shell, which then names itself in
    `requested_label`. `enqueue=False` leaves the running to the caller (`export_run`).
    """
    if format not in ExportFormat.values:
        raise ApplicationError(f"format must be one of {', '.join(ExportFormat.values)}", field="format")
    if actor != SYSTEM and not user_can(actor, Capability.EXPORT_AUDIT):
        raise PermissionRefused("only the auditor role may export the audit trail")
    now = timezone.now()
    export = AuditExport.objects.create(
        requested_by=None if actor == SYSTEM else actor,
        requested_label=(requested_label or "agentgov") if actor == SYSTEM else actor.get_username(),
        format=format,
        filters=export_filters(filters, now=now),
        created_at=now,
    )
    record(
        actor=actor,
        type=EventType.ACCESS,
        name="audit.export_requested",
        resource=export.resource_name,
        data={"export": str(export.uuid), "format": format, "filters": export.filters},
    )
    if enqueue:
        from apps.audit.tasks import run_export

        run_export.delay_on_commit(export.pk)
    return export


def export_run(
    *, export_id: int, on_progress: Callable[[AuditExport], None] | None = None
) -> AuditExport | None:
    """Write the export's bundle and mark it done, with its audit event.

    Safe to run twice: only the run that claims the row (queued → running) does the work, a
    done or failed export is left alone (None), and while another run holds it this raises
    ExportBusy. A failure marks the export failed, with the error, and re-raises.
    """
    export = _claim(export_id)
    if export is None:
        return None
    try:
        _produce(export, on_progress)
    except BaseException as exc:  # a time limit or Ctrl-C too: never leave it "running"
        _fail(export, exc)
        raise
    export.refresh_from_db()
    return export


def _claim(export_id: int) -> AuditExport | None:
    now = timezone.now()
    abandoned = Q(status=ExportStatus.RUNNING, started_at__lt=now - timedelta(seconds=EXPORT_TIME_LIMIT))
    claimed = AuditExport.objects.filter(Q(status=ExportStatus.QUEUED) | abandoned, pk=export_id).update(
        status=ExportStatus.RUNNING, stage=ExportStage.COUNTING, started_at=now, rows_written=0, error=""
    )
    if claimed:
        return AuditExport.objects.get(pk=export_id)
    current = AuditExport.objects.filter(pk=export_id).values_list("status", "started_at").first()
    if current is None:
        log.warning("export %s no longer exists; nothing to run", export_id)
    elif current[0] == ExportStatus.RUNNING:
        held_until = current[1] + timedelta(seconds=EXPORT_TIME_LIMIT)
        raise ExportBusy(retry_in=max(1, int((held_until - now).total_seconds()) + 1))
    return None


def _held(export: AuditExport):
    """The export's row, as long as this run still holds it."""
    return AuditExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING, started_at=export.started_at)


def _progress(export: AuditExport, on_progress, **fields) -> None:
    if not _held(export).update(**fields):
        raise ConflictError("another run took this export over")
    for name, value in fields.items():
        setattr(export, name, value)
    if on_progress is not None:
        on_progress(export)


def _produce(export: AuditExport, on_progress) -> None:
    events = events_in_scope(export.filters)
    agent = scope_agent(export.filters)
    _progress(export, on_progress, rows_total=events.count(), stage=ExportStage.WRITING)

    def batch_written(rows: int) -> None:
        if rows - export.rows_written >= PROGRESS_EVERY_ROWS:
            _progress(export, on_progress, rows_written=rows)

    export_dir(export).mkdir(parents=True, exist_ok=True)
    partial = export_dir(export) / f"bundle.{uuid.uuid4().hex[:12]}.partial"
    try:
        bundle = BundleWriter(partial)
        try:
            with bundle.data_file(data_file_name(export)) as data:
                written = write_events(events, data, data_format=export.format, on_batch=batch_written)
            _progress(export, on_progress, rows_written=written.rows, stage=ExportStage.VERIFYING)
            report = chains_verify(agent=agent)
            _progress(export, on_progress, stage=ExportStage.SIGNING)
            bundle.sign(_manifest(export, written, report))
        finally:
            bundle.close()
        _finish(export, partial, written, report)
    finally:
        partial.unlink(missing_ok=True)


def _manifest(export: AuditExport, written: Written, report: VerificationReport) -> dict:
    return {
        "bundle_format": BUNDLE_FORMAT_VERSION,
        "export_id": str(export.uuid),
        "generator": {"name": "agentgov", "version": agentgov_version()},
        "generated_by": export.requested_label,
        "requested_at": _iso(export.created_at),
        "generated_at": _iso(timezone.now()),
        "filters": export.filters,
        "time_range": {"since": export.filters.get("since"), "until": export.filters["until"]},
        "order": "occurred_at, then the order events were stored",
        "format": export.format,
        "columns": list(COLUMNS),
        "data_file": data_file_name(export),
        "data_sha256": written.sha256,
        "data_bytes": written.size,
        "row_count": written.rows,
        "chain_verification": {
            "ok": report.ok,
            "scope": report.scope,
            "chains_checked": len(report.chains),
            "events_checked": report.events,
            "problem": report.first_problem,
        },
        "signature": signature_block(),
    }


@transaction.atomic
def _finish(export: AuditExport, partial: Path, written: Written, report: VerificationReport) -> None:
    bundle_sha256 = file_sha256(partial)
    done = _held(export).update(
        status=ExportStatus.DONE,
        stage="",
        rows_total=written.rows,
        rows_written=written.rows,
        data_sha256=written.sha256,
        bundle_sha256=bundle_sha256,
        bundle_size=partial.stat().st_size,
        chain_ok=report.ok,
        finished_at=timezone.now(),
    )
    if not done:
        raise ConflictError("another run took this export over")
    record(
        actor=SYSTEM,
        type=EventType.ACCESS,
        name="audit.export_completed",
        resource=export.resource_name,
        data={
            "export": str(export.uuid),
            "rows": written.rows,
            "data_sha256": written.sha256,
            "bundle_sha256": bundle_sha256,
            "chain_ok": report.ok,
            "chain_problem": report.first_problem,
        },
    )
    # Last, so a failure above leaves no bundle behind a row that is not done.
    os.replace(partial, bundle_path(export))


def _fail(export: AuditExport, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with transaction.atomic():
            failed = _held(export).update(
                status=ExportStatus.FAILED, stage="", error=message, finished_at=timezone.now()
            )
            if failed:
                record(
                    actor=SYSTEM,
                    type=EventType.ACCESS,
                    name="audit.export_failed",
                    status=EventStatus.ERROR,
                    resource=export.resource_name,
                    data={"export": str(export.uuid), "error": message},
                )
    except Exception:  # the original error matters more; it is re-raised by the caller
        log.exception("could not mark export %s failed", export.uuid)


@transaction.atomic
def export_download(*, export: AuditExport, actor) -> Path:
    """The bundle's path, for someone about to download it; each download is an audit event."""
    if export.status != ExportStatus.DONE:
        raise ConflictError(f"the export is {export.get_status_display().lower()}, not done", field="status")
    path = bundle_path(export)
    if not path.is_file():
        raise ConflictError("the bundle file is no longer on the server; request the export again")
    record(
        actor=actor,
        type=EventType.ACCESS,
        name="audit.export_downloaded",
        resource=export.resource_name,
        data={"export": str(export.uuid), "bundle_sha256": export.bundle_sha256},
    )
    return path

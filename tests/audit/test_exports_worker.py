"""The export job on a real Celery worker, against PostgreSQL and the configured broker."""

import shutil
import time

import pytest
from django.db import connection

from apps.audit.exports import service
from apps.audit.exports.bundle import bundle_verify
from apps.audit.models import AuditEvent, AuditExport, ExportStatus
from apps.audit.tasks import run_export
from tests.audit.export_helpers import agent_run, chained_events
from tests.celery_helpers import private_worker, send_delays_to

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="a worker process cannot share the in-memory SQLite test database",
    ),
]


@pytest.fixture
def worker_queue(transactional_db, monkeypatch):
    """A private worker; run_export is routed to its queue, as the views enqueue it."""
    with private_worker() as queue:
        send_delays_to(monkeypatch, run_export, queue)
        yield queue


@pytest.fixture
def cleanup_bundles():
    """The worker writes under the real VAR_DIR (it shares the broker's folders, and the signing key)."""
    made = []
    yield made
    for export in made:
        shutil.rmtree(service.export_dir(export), ignore_errors=True)


def test_the_worker_runs_an_export_to_a_verified_bundle_once(
    worker_queue, cleanup_bundles, make_user, live_agent
):
    agent_run(live_agent)
    chained_events(live_agent, 10_000)  # enough for the job to be seen running
    auditor = make_user("auditor", username="ines")

    export = service.export_request(actor=auditor, filters={"agent": "payments-bot"}, format="jsonl")
    cleanup_bundles.append(export)
    run_export.apply_async(args=[export.pk], queue=worker_queue)  # as a duplicate delivery would

    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        row = AuditExport.objects.values_list("status", "rows_written").get(pk=export.pk)
        if not seen or seen[-1] != row:
            seen.append(row)
        if row[0] in (ExportStatus.DONE, ExportStatus.FAILED):
            break
        time.sleep(0.05)

    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, (export.error, seen)
    assert ExportStatus.RUNNING in [status for status, _ in seen], seen
    written = [rows for _, rows in seen]
    assert written == sorted(written), f"progress went backwards: {seen}"
    assert export.rows_written == export.rows_total == 10_005 and export.percent == 100
    assert export.chain_ok is True
    report = bundle_verify(service.bundle_path(export))
    assert report.authentic and report.chain_ok and report.rows == 10_005, report.problems
    assert AuditEvent.objects.filter(name="audit.export_completed").count() == 1  # the duplicate did nothing

"""The export flow in a real browser: from the filtered trail to a downloaded, verified bundle."""

import re
import shutil
import zipfile
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from apps.audit.exports import service
from apps.audit.models import AuditExport
from apps.audit.tasks import run_export
from apps.registry import services
from tests.audit.export_helpers import agent_run, chained_events, verify_offline
from tests.celery_helpers import private_worker, send_delays_to
from tests.e2e.test_registry_flow import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {
    "form": "/tmp/agentgov-export-form.png",
    "running": "/tmp/agentgov-export-running.png",
    "done": "/tmp/agentgov-export-done.png",
    "list": "/tmp/agentgov-export-list.png",
}


@contextmanager
def export_jobs(monkeypatch):
    """Where the export job runs while the browser waits for it.

    On PostgreSQL: a real worker on a private queue (run_export is routed to it), against
    live_server's database, as in production. On SQLite a worker cannot share the in-memory
    test database, so this one test runs the job eagerly, inside the request that starts it;
    the worker path is proven by tests/audit/test_exports_worker.py.
    """
    if connection.vendor == "sqlite":
        from agentgov.celery import app

        saved = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            yield
        finally:
            app.conf.task_always_eager = saved
        return
    with private_worker() as queue:
        send_delays_to(monkeypatch, run_export, queue)
        yield


@pytest.fixture
def trail(roles):
    admin = UserFactory(username="ada", roles=["admin"])
    agent = services.agent_register(
        actor=admin, slug="payments-bot", name="Payments bot", owner=admin, risk_tier="high"
    )
    agent = services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
    agent_run(agent)
    chained_events(agent, 3000)  # enough for the job to take a moment
    return agent


def test_an_auditor_exports_the_filtered_trail_and_verifies_the_bundle(
    page, live_server, trail, monkeypatch, tmp_path
):
    UserFactory(username="ines", first_name="Ines", last_name="Auditor", roles=["auditor"])
    sign_in(page, "ines")
    page.goto("/audit/?agent=payments-bot")
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()

    # The trail's Export button leads here with the trail's filters in the query string.
    page.goto("/audit/exports/new/?agent=payments-bot")
    expect(page.get_by_role("heading", name="Export the audit trail")).to_be_visible()
    expect(page.get_by_role("region", name="What will be exported")).to_contain_text("payments-bot")
    page.get_by_label("JSON Lines").check()
    page.screenshot(path=SCREENSHOTS["form"], full_page=True)

    with export_jobs(monkeypatch):
        page.get_by_role("button", name="Start the export").click()
        expect(page).to_have_url(re.compile(r"/audit/exports/[0-9a-f-]{36}/$"))
        expect(page.get_by_role("status").first).to_contain_text("Export started")
        progress = page.get_by_role("region", name="Bundle", exact=True)
        expect(progress).to_be_visible()
        page.screenshot(path=SCREENSHOTS["running"], full_page=True)
        # htmx polls the progress every second until the job is done.
        download_link = page.get_by_role("link", name="Download the bundle")
        expect(download_link).to_be_visible(timeout=60_000)

    export = AuditExport.objects.get()
    try:
        expect(progress).to_contain_text("Hash chains verified")
        expect(progress).to_contain_text(f"{export.rows_written} events")
        page.screenshot(path=SCREENSHOTS["done"], full_page=True)

        with page.expect_download() as downloading:
            download_link.click()
        bundle = tmp_path / downloading.value.suggested_filename
        downloading.value.save_as(bundle)

        assert bundle.name.startswith("agentgov-audit-") and bundle.suffix == ".zip"
        assert sorted(zipfile.ZipFile(bundle).namelist()) == [
            "audit-events.jsonl",
            "manifest.json",
            "manifest.sig",
        ]
        verified = verify_offline(bundle, settings.AUDIT_SIGNING_KEY, tmp_path)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert f"rows          {export.rows_written} (manifest: {export.rows_written})" in verified.stdout

        page.goto("/audit/exports/")
        expect(page.get_by_role("row", name=re.compile("JSON Lines"))).to_contain_text("Done")
        page.screenshot(path=SCREENSHOTS["list"], full_page=True)
    finally:
        shutil.rmtree(service.export_dir(export), ignore_errors=True)

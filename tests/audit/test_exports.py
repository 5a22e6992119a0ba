"""Exports as evidence bundles: what a bundle holds, that it verifies offline, and that
tampering, a wrong key or a broken chain is told apart."""

import csv
import hashlib
import hmac
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from agentgov.errors import ApplicationError, PermissionRefused
from apps.audit.chain import GLOBAL_CHAIN, chain_key
from apps.audit.exports import postgresql, service
from apps.audit.exports.offline import verify_bundle
from apps.audit.exports.scope import events_in_scope
from apps.audit.exports.writers import COLUMNS, python_chunks
from apps.audit.models import AuditEvent, AuditExport, ChainHead, EventType, ExportStatus
from apps.audit.services import SYSTEM, record
from tests.audit.export_helpers import (
    VERIFIER,
    agent_run,
    eager_tasks,  # noqa: F401
    exports_in_tmp,  # noqa: F401
    read_bundle,
    rewrite_bundle,
    verify_offline,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("exports_in_tmp")]


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="ines")


@pytest.fixture
def trail(live_agent):
    agent_run(live_agent)
    record(actor=SYSTEM, type=EventType.LOG, name="unrelated.global")
    return live_agent


def export_now(actor, fmt: str = "jsonl", **filters) -> AuditExport:
    export = service.export_request(actor=actor, filters=filters, format=fmt, enqueue=False)
    return service.export_run(export_id=export.pk)


def test_a_bundle_holds_the_data_a_signed_manifest_and_nothing_else(auditor, trail, settings):
    export = export_now(auditor, agent="payments-bot")

    assert export.status == ExportStatus.DONE
    bundle = service.bundle_path(export)
    assert sorted(zipfile.ZipFile(bundle).namelist()) == [
        "audit-events.jsonl",
        "manifest.json",
        "manifest.sig",
    ]
    manifest, manifest_bytes, data, signature = read_bundle(bundle)
    key = settings.AUDIT_SIGNING_KEY.encode()
    assert signature == hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest()
    assert manifest["data_sha256"] == hashlib.sha256(data).hexdigest() == export.data_sha256
    assert manifest["data_bytes"] == len(data)
    assert manifest["row_count"] == export.rows_written == 5  # registered, version, deployed + a run of 2
    assert manifest["filters"]["agent"] == "payments-bot"
    assert manifest["time_range"] == {"since": None, "until": manifest["filters"]["until"]}
    assert manifest["generated_by"] == "ines"
    assert manifest["format"] == "jsonl" and manifest["columns"] == list(COLUMNS)
    assert manifest["chain_verification"] == {
        "ok": True,
        "scope": "agent:payments-bot",
        "chains_checked": 1,
        "events_checked": 5,
        "problem": "",
    }
    assert manifest["generator"]["name"] == "agentgov" and manifest["generator"]["version"]
    assert export.bundle_sha256 == hashlib.sha256(bundle.read_bytes()).hexdigest()


def test_json_lines_rows_are_the_events_oldest_first_with_nested_json(auditor, trail):
    export = export_now(auditor, agent="payments-bot")
    _, _, data, _ = read_bundle(service.bundle_path(export))

    rows = [json.loads(line) for line in data.decode().splitlines()]
    expected = AuditEvent.objects.filter(agent=trail).order_by("occurred_at", "id")
    assert [row["uuid"] for row in rows] == [str(event.uuid) for event in expected]
    assert all(list(row) == list(COLUMNS) for row in rows)
    call = next(row for row in rows if row["name"] == "stripe.refund")
    assert call["input"] == {"amount": 40, "currency": "EUR", "note": "café"}
    assert call["cost_usd"] == "0.012300"  # a decimal keeps its digits
    assert call["duration_ms"] == 312.5 and call["tokens_in"] == 120
    assert call["agent"] == "payments-bot" and call["actor_label"] == "agent:payments-bot"
    assert call["occurred_at"].endswith("Z")
    stored = AuditEvent.objects.get(uuid=call["uuid"])
    assert (call["seq"], call["prev_hash"], call["hash"]) == (stored.seq, stored.prev_hash, stored.hash)


def test_csv_has_the_documented_header_and_json_columns_as_json_text(auditor, trail):
    export = export_now(auditor, "csv", agent="payments-bot", type=["decision", "tool_call"])
    _, _, data, _ = read_bundle(service.bundle_path(export))

    records = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert records[0] == list(COLUMNS)
    rows = [dict(zip(COLUMNS, record, strict=True)) for record in records[1:]]
    assert [row["name"] for row in rows] == ["plan", "stripe.refund"]
    assert rows[0]["rationale"] == 'duplicate charge, "clearly", on two lines\nsecond line'
    assert json.loads(rows[0]["alternatives"]) == [{"option": "refund", "score": 0.9}, {"option": "escalate"}]
    assert rows[0]["input"] == ""  # null is empty
    assert json.loads(rows[1]["input"]) == {"amount": 40, "currency": "EUR", "note": "café"}
    assert rows[1]["cost_usd"] == "0.012300" and rows[1]["duration_ms"] == "312.5"
    assert data.startswith(b'"uuid","occurred_at","agent",') and b"\r\n" not in data


def test_each_export_is_itself_recorded_in_the_trail(auditor, trail):
    export = export_now(auditor, "csv", agent="payments-bot")

    requested = AuditEvent.objects.get(name="audit.export_requested")
    completed = AuditEvent.objects.get(name="audit.export_completed")
    assert requested.actor_user == auditor and requested.type == EventType.ACCESS
    assert requested.resource == completed.resource == f"export:{export.uuid}"
    assert requested.data["format"] == "csv" and requested.data["filters"]["agent"] == "payments-bot"
    assert completed.data["rows"] == 5
    assert completed.data["data_sha256"] == export.data_sha256
    assert completed.data["bundle_sha256"] == export.bundle_sha256


def test_the_time_range_is_fixed_when_the_export_is_requested(auditor, trail):
    export = service.export_request(actor=auditor, filters={"range": "1h"}, format="jsonl", enqueue=False)
    record(actor=SYSTEM, type=EventType.LOG, name="after.the.request")  # while the job waits

    done = service.export_run(export_id=export.pk)

    assert "range" not in done.filters
    since = timezone.datetime.fromisoformat(done.filters["since"])
    until = timezone.datetime.fromisoformat(done.filters["until"])
    assert until - since == timedelta(hours=1)
    _, _, data, _ = read_bundle(service.bundle_path(done))
    names = [json.loads(line)["name"] for line in data.decode().splitlines()]
    assert "unrelated.global" in names and "plan" in names
    assert "after.the.request" not in names and "audit.export_requested" not in names


def test_running_an_export_twice_does_the_work_once(auditor, trail):
    export = service.export_request(actor=auditor, filters={}, format="jsonl", enqueue=False)

    first = service.export_run(export_id=export.pk)
    second = service.export_run(export_id=export.pk)

    assert first.status == ExportStatus.DONE and second is None
    assert AuditEvent.objects.filter(name="audit.export_completed").count() == 1
    assert [p.name for p in service.export_dir(export).iterdir()] == ["bundle.zip"]


def test_a_run_that_another_holds_is_busy_until_its_time_limit(auditor, trail):
    export = service.export_request(actor=auditor, filters={}, format="jsonl", enqueue=False)
    AuditExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, started_at=timezone.now())

    with pytest.raises(service.ExportBusy) as busy:
        service.export_run(export_id=export.pk)
    assert 0 < busy.value.retry_in <= service.EXPORT_TIME_LIMIT + 1

    # A run older than the time limit is dead: the export can be claimed again.
    long_ago = timezone.now() - timedelta(seconds=service.EXPORT_TIME_LIMIT + 1)
    AuditExport.objects.filter(pk=export.pk).update(started_at=long_ago)
    assert service.export_run(export_id=export.pk).status == ExportStatus.DONE


def test_a_failed_run_is_marked_failed_with_its_error_and_re_raises(auditor, trail, settings, tmp_path):
    export = service.export_request(actor=auditor, filters={}, format="jsonl", enqueue=False)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.VAR_DIR = blocker  # the bundle's folder cannot be made

    with pytest.raises(OSError):
        service.export_run(export_id=export.pk)

    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and export.finished_at is not None
    assert "Error" in export.error
    failed = AuditEvent.objects.get(name="audit.export_failed")
    assert failed.status == "error" and failed.data["error"] == export.error
    assert service.export_run(export_id=export.pk) is None  # failed is final


@pytest.mark.parametrize(
    ("filters", "fmt", "field", "message"),
    [
        ({}, "xlsx", "format", "format must be one of csv, jsonl"),
        ({"colour": "red"}, "csv", "colour", "unknown filter 'colour'"),
        ({"since": "yesterday"}, "csv", "since", "since: Enter a valid date/time."),
        ({"type": ["decision", "poem"]}, "csv", "type", "type: Select a valid choice."),
        ({"agent": "nobody"}, "csv", "agent", "no agent with slug 'nobody'"),
        ({"agent": ["a", "b"]}, "csv", "agent", "agent: give one value, not 2"),
        ({"since": "2030-01-01T00:00:00Z"}, "csv", "since", "the time range is empty"),
    ],
)
def test_a_bad_export_request_is_refused_naming_the_problem(auditor, filters, fmt, field, message):
    with pytest.raises(ApplicationError) as refused:
        service.export_request(actor=auditor, filters=filters, format=fmt, enqueue=False)
    assert refused.value.field == field
    assert message in refused.value.message
    assert not AuditExport.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_only_auditors_may_request_an_export(make_user, role):
    with pytest.raises(PermissionRefused):
        service.export_request(actor=make_user(role), filters={}, format="csv", enqueue=False)


@pytest.mark.usefixtures("eager_tasks")
def test_a_request_queues_the_job_once_the_transaction_commits(
    auditor, trail, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        export = service.export_request(actor=auditor, filters={}, format="csv")
    assert len(callbacks) == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path is PostgreSQL's")


@on_postgresql
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    "filters",
    [{}, {"agent": "payments-bot", "type": ["decision", "tool_call"], "name": "stripe", "q": "refund"}],
)
@pytest.mark.parametrize("chunk_rows", [50_000, 2])
def test_postgresql_writes_the_lines_the_python_path_writes(trail, fmt, filters, chunk_rows, monkeypatch):
    monkeypatch.setattr(postgresql, "CHUNK_ROWS", chunk_rows)  # 2: many COPYs, cut by keyset
    events = events_in_scope({**filters, "since": "2000-01-01T00:00:00+00:00"})
    fast_chunks = list(postgresql.line_chunks(events, fmt))
    fast = b"".join(data for data, _, _ in fast_chunks).decode()
    slow = b"".join(data for data, _, _ in python_chunks(events, fmt)).decode()

    assert sum(rows for _, rows, _ in fast_chunks) == events.count() > 0
    assert fast_chunks[-1][2] is True  # the connection is free again at the end
    if fmt == "csv":
        assert fast == slow
    else:  # the same values; PostgreSQL spaces nested JSON differently
        assert [json.loads(line) for line in fast.splitlines()] == [
            json.loads(line) for line in slow.splitlines()
        ]


@on_postgresql
def test_progress_is_written_between_copies_on_postgresql(auditor, live_agent, monkeypatch):
    from tests.audit.export_helpers import chained_events

    chained_events(live_agent, 25)
    monkeypatch.setattr(postgresql, "CHUNK_ROWS", 10)
    monkeypatch.setattr(service, "PROGRESS_EVERY_ROWS", 1)
    seen = []
    export = service.export_request(actor=auditor, filters={}, format="csv", enqueue=False)

    done = service.export_run(
        export_id=export.pk, on_progress=lambda e: seen.append((e.stage, e.rows_written))
    )

    assert [rows for stage, rows in seen if stage == "writing"][1:] == [10, 20, done.rows_written]


# --- Offline verification: the verifier script, standard library only ---------------------


def test_a_bundle_verifies_offline_with_the_signing_key(auditor, trail, settings, tmp_path):
    export = export_now(auditor, "csv")
    result = verify_offline(service.bundle_path(export), settings.AUDIT_SIGNING_KEY, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout
    assert f"rows          {export.rows_written} (manifest: {export.rows_written})" in result.stdout


def test_altered_data_fails_offline_verification(auditor, trail, settings, tmp_path):
    export = export_now(auditor, "jsonl")
    _, _, data, _ = read_bundle(service.bundle_path(export))
    altered = rewrite_bundle(
        service.bundle_path(export),
        tmp_path / "altered.zip",
        audit_events_jsonl=data.replace(b"stripe.refund", b"stripe.charge"),
    )

    result = verify_offline(altered, settings.AUDIT_SIGNING_KEY, tmp_path)

    assert result.returncode == 1
    assert "the data was altered" in result.stdout and "NOT VERIFIED" in result.stdout


def test_a_removed_row_fails_offline_verification(auditor, trail, settings, tmp_path):
    export = export_now(auditor, "csv")
    _, _, data, _ = read_bundle(service.bundle_path(export))
    fewer = data[: data.rindex(b'\n"', 0, len(data) - 1) + 1]  # the last record cut off
    shorter = rewrite_bundle(service.bundle_path(export), tmp_path / "short.zip", audit_events_csv=fewer)

    result = verify_offline(shorter, settings.AUDIT_SIGNING_KEY, tmp_path)

    assert result.returncode == 1
    assert f"{export.rows_written - 1} rows in the data file" in result.stdout


def test_an_altered_manifest_fails_offline_verification(auditor, trail, settings, tmp_path):
    export = export_now(auditor, "jsonl")
    manifest, _, _, _ = read_bundle(service.bundle_path(export))
    manifest["filters"]["agent"] = "someone-else"
    altered = rewrite_bundle(
        service.bundle_path(export),
        tmp_path / "altered.zip",
        manifest_json=json.dumps(manifest, indent=2).encode(),
    )

    result = verify_offline(altered, settings.AUDIT_SIGNING_KEY, tmp_path)

    assert result.returncode == 1
    assert "manifest.sig does not match manifest.json" in result.stdout


def test_a_file_slipped_into_the_bundle_fails_offline_verification(auditor, trail, settings, tmp_path):
    export = export_now(auditor, "jsonl")
    extra = tmp_path / "extra.zip"
    rewrite_bundle(service.bundle_path(export), extra)
    with zipfile.ZipFile(extra, "a") as bundle:
        bundle.writestr("more-events.jsonl", "{}\n")

    result = verify_offline(extra, settings.AUDIT_SIGNING_KEY, tmp_path)

    assert result.returncode == 1
    assert "files the manifest does not list: more-events.jsonl" in result.stdout


def test_another_key_fails_and_names_both_keys(auditor, trail, tmp_path):
    export = export_now(auditor, "jsonl")

    result = verify_offline(service.bundle_path(export), "not-the-signing-key", tmp_path)

    assert result.returncode == 1
    assert "the bundle names signing key" in result.stdout


def test_a_broken_chain_is_authentic_evidence_with_its_own_exit_status(auditor, trail, settings, tmp_path):
    # The head says the chain is longer than its events: events were cut from the end.
    ChainHead.objects.filter(key=chain_key(trail.pk)).update(seq=99)

    export = export_now(auditor, "jsonl", agent="payments-bot")
    result = verify_offline(service.bundle_path(export), settings.AUDIT_SIGNING_KEY, tmp_path)

    assert export.chain_ok is False
    assert result.returncode == 2, result.stdout
    assert "events were removed from the end" in result.stdout
    assert AuditEvent.objects.get(name="audit.export_completed").data["chain_ok"] is False


def test_an_unfiltered_export_verifies_every_chain(auditor, trail):
    export = export_now(auditor, "jsonl")
    manifest, _, _, _ = read_bundle(service.bundle_path(export))

    assert manifest["chain_verification"]["scope"] == "all chains"
    assert manifest["chain_verification"]["chains_checked"] == ChainHead.objects.count()
    assert ChainHead.objects.filter(key=GLOBAL_CHAIN).exists()


def test_a_file_that_is_not_a_bundle_is_reported_not_raised(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    report = verify_bundle(junk, "key")
    assert not report.authentic and report.exit_status == 1
    assert "cannot be read as a zip" in report.problems[0]


def test_the_verifier_needs_a_key(tmp_path):
    import subprocess
    import sys

    bundle = tmp_path / "b.zip"
    bundle.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(VERIFIER), str(bundle)],
        capture_output=True,
        text=True,
        env={"PATH": ""},
        timeout=60,
    )
    assert result.returncode == 3
    assert "no key" in result.stderr


def test_the_bundle_verifies_in_process_too(auditor, trail):
    from apps.audit.exports.bundle import bundle_verify

    export = export_now(auditor, "csv")
    report = bundle_verify(Path(service.bundle_path(export)))
    assert report.authentic and report.chain_ok and report.rows == export.rows_written


def test_bundles_are_deleted_after_the_keep_period_and_the_record_stays(
    auditor, trail, settings, django_capture_on_commit_callbacks
):
    from apps.audit.exports.expiry import exports_expire

    settings.AUDIT_EXPORT_KEEP_DAYS = 30
    old, recent = export_now(auditor), export_now(auditor)
    AuditExport.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):
        assert exports_expire() == 1
    assert exports_expire() == 0  # a second run finds nothing to do

    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and old.bundle_sha256
    assert not service.export_dir(old).exists()
    assert service.bundle_path(recent).is_file()
    expired = AuditEvent.objects.get(name="audit.export_expired")
    assert expired.data["export"] == str(old.uuid) and expired.data["bundle_sha256"] == old.bundle_sha256
    with pytest.raises(ApplicationError, match="expired"):
        service.export_download(export=old, actor=auditor)

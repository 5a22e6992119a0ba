"""`manage.py export_audit` and `manage.py verify_bundle`: the same export, from the shell."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from apps.audit.exports.offline import verify_bundle
from apps.audit.models import ActorType, AuditEvent, AuditExport, ExportStatus
from tests.audit.export_helpers import agent_run, exports_in_tmp, rewrite_bundle  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("exports_in_tmp")]


def export_audit(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_writes_a_verified_bundle_where_asked_and_prints_its_sha256(live_agent, settings, tmp_path):
    agent_run(live_agent)
    output = tmp_path / "evidence.zip"

    out, err = export_audit(
        "--format", "csv", "--agent", "payments-bot", "--type", "decision", "--type", "tool_call",
        "--since", "2020-01-01T00:00:00Z", "--output", str(output),
    )  # fmt: skip

    export = AuditExport.objects.get()
    assert export.status == ExportStatus.DONE and export.rows_written == 2
    assert f"bundle   {output}" in out
    assert f"sha256   {export.bundle_sha256}" in out
    assert "chains   verified" in out
    assert "Writing the events" in err  # the progress line
    report = verify_bundle(output, settings.AUDIT_SIGNING_KEY)
    assert report.authentic and report.rows == 2
    assert report.manifest["filters"]["type"] == ["decision", "tool_call"]
    assert report.manifest["time_range"]["since"] == "2020-01-01T00:00:00+00:00"
    assert report.manifest["generated_by"].endswith("via manage.py export_audit")
    requested = AuditEvent.objects.get(name="audit.export_requested")
    assert requested.actor_type == ActorType.SYSTEM


def test_without_output_it_prints_where_the_bundle_is(db):
    out, _ = export_audit("--format", "jsonl")
    export = AuditExport.objects.get()
    assert f"exports/{export.uuid}/bundle.zip" in out
    with zipfile.ZipFile(out.split()[1]) as bundle:
        assert json.loads(bundle.read("manifest.json"))["row_count"] == export.rows_written


def test_it_can_export_as_a_named_auditor(make_user):
    make_user("auditor", username="ines")
    export_audit("--user", "ines")
    assert AuditExport.objects.get().requested_label == "ines"
    assert AuditEvent.objects.get(name="audit.export_requested").actor_label == "ines"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "nobody"], "no agent with slug 'nobody'"),
        (["--since", "last tuesday"], "since: Enter a valid date/time."),
        (["--type", "poem"], "type: Select a valid choice. poem is not one of the available choices."),
        (["--range", "2y"], "range: Select a valid choice."),
        (["--since", "2031-01-01T00:00:00Z"], "the time range is empty"),
        (["--user", "nobody"], "--user: no user named 'nobody'"),
        (["--output", "/no/such/folder/b.zip"], "--output: the folder /no/such/folder does not exist"),
    ],
)
def test_bad_arguments_are_refused_naming_the_problem(db, args, message):
    with pytest.raises(CommandError) as refused:
        export_audit(*args)
    assert message in str(refused.value)
    assert not AuditExport.objects.exists()


def test_an_existing_output_file_is_never_overwritten(db, tmp_path):
    output = tmp_path / "evidence.zip"
    output.write_text("earlier evidence")
    with pytest.raises(CommandError, match="already exists"):
        export_audit("--output", str(output))
    assert output.read_text() == "earlier evidence"


def test_a_user_without_the_auditor_role_is_refused(make_user):
    make_user("admin", username="ada")
    with pytest.raises(CommandError, match="only the auditor role may export the audit trail"):
        export_audit("--user", "ada")


def test_a_bad_format_is_refused_by_the_parser(db):
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        export_audit("--format", "xml")


def test_verify_bundle_accepts_a_good_bundle_and_refuses_an_altered_one(live_agent, tmp_path):
    output = tmp_path / "evidence.zip"
    export_audit("--output", str(output))
    out = io.StringIO()
    call_command("verify_bundle", str(output), stdout=out)
    assert "bundle verified" in out.getvalue()

    altered = rewrite_bundle(output, tmp_path / "altered.zip", manifest_json=b"{}")
    with pytest.raises(CommandError, match=r"bundle NOT verified: manifest\.sig does not match"):
        call_command("verify_bundle", str(altered), stdout=io.StringIO())

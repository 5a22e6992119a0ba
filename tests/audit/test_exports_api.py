"""`/api/v1/exports/`: auditors request, follow and download exports; every other role gets 403."""

import io
import uuid
import zipfile

import pytest

from apps.audit.exports import service
from apps.audit.exports.offline import verify_bundle
from apps.audit.models import AuditEvent, AuditExport, ExportStatus
from tests.audit.export_helpers import agent_run, eager_tasks, exports_in_tmp  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("exports_in_tmp")]


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="ines")


@pytest.fixture
def auditor_api(api_as, auditor):
    return api_as(user=auditor)


def _queued(user, **filters) -> AuditExport:
    return service.export_request(actor=user, filters=filters, format="jsonl", enqueue=False)


def _done(user, **filters) -> AuditExport:
    return service.export_run(export_id=_queued(user, **filters).pk)


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_only_auditors_reach_the_export_endpoints(api_as, auditor, role, live_agent):
    export = _done(auditor)
    client = api_as(role)
    for method, url in [
        ("get", "/api/v1/exports/"),
        ("post", "/api/v1/exports/"),
        ("get", f"/api/v1/exports/{export.uuid}/"),
        ("get", f"/api/v1/exports/{export.uuid}/download/"),
    ]:
        response = getattr(client, method)(
            url, {"format": "csv"} if method == "post" else None, format="json"
        )
        assert response.status_code == 403, (method, url)
        assert response.json()["error"] == "only the auditor role may export the audit trail"


def test_anonymous_requests_are_refused(client, db):
    assert client.get("/api/v1/exports/").status_code == 403


def test_an_auditor_requests_an_export_and_gets_202_with_where_to_follow_it(
    auditor_api, live_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = auditor_api.post(
            "/api/v1/exports/",
            {"format": "csv", "filters": {"agent": "payments-bot", "type": ["action", "change"]}},
            format="json",
        )

    assert response.status_code == 202, response.json()
    body = response.json()
    export = AuditExport.objects.get(uuid=body["id"])
    assert body["status"] == "queued" and body["download_url"] is None
    assert response["Location"] == body["url"] == f"http://testserver/api/v1/exports/{export.uuid}/"
    assert body["filters"]["agent"] == "payments-bot" and body["filters"]["type"] == ["action", "change"]
    assert "until" in body["filters"]
    assert len(queued) == 1  # the job, sent once the request's transaction commits
    assert AuditEvent.objects.filter(name="audit.export_requested", resource=export.resource_name).exists()


@pytest.mark.usefixtures("eager_tasks")
def test_the_export_is_followed_to_done_and_its_bundle_downloaded(
    auditor_api, live_agent, tmp_path, django_capture_on_commit_callbacks
):
    agent_run(live_agent)
    with django_capture_on_commit_callbacks(execute=True):
        created = auditor_api.post("/api/v1/exports/", {"format": "jsonl"}, format="json").json()

    followed = auditor_api.get(created["url"]).json()
    assert followed["status"] == "done" and followed["percent"] == 100
    assert followed["chain_ok"] is True and followed["rows_written"] == followed["rows_total"] > 0
    assert followed["download_url"].endswith(f"/api/v1/exports/{created['id']}/download/")

    response = auditor_api.get(followed["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "agentgov-audit-" in response["Content-Disposition"]
    bundle = tmp_path / "downloaded.zip"
    bundle.write_bytes(b"".join(response.streaming_content))
    report = verify_bundle(bundle, _signing_key())
    assert report.authentic and report.chain_ok, report.problems
    assert AuditEvent.objects.filter(name="audit.export_downloaded").count() == 1


def _signing_key() -> str:
    from django.conf import settings

    return settings.AUDIT_SIGNING_KEY


def test_a_bad_request_is_400_naming_the_field(auditor_api, db):
    unknown = auditor_api.post(
        "/api/v1/exports/", {"format": "csv", "filters": {"colour": "red"}}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "colour"

    bad_format = auditor_api.post("/api/v1/exports/", {"format": "pdf"}, format="json")
    assert bad_format.status_code == 400 and bad_format.json()["field"] == "format"

    bad_time = auditor_api.post(
        "/api/v1/exports/", {"format": "csv", "filters": {"since": "soon"}}, format="json"
    )
    assert bad_time.json() == {"error": "since: Enter a valid date/time.", "field": "since"}
    assert not AuditExport.objects.exists()


def test_an_export_that_is_not_done_cannot_be_downloaded(auditor_api, auditor, db):
    export = _queued(auditor)
    response = auditor_api.get(f"/api/v1/exports/{export.uuid}/download/", HTTP_ACCEPT="application/zip")
    assert response.status_code == 409
    assert response.json()["error"] == "the export is queued, not done"


def test_auditors_see_only_their_own_exports_and_superusers_everyones(api_as, auditor, make_user, db):
    mine, theirs = _queued(auditor), _queued(make_user("auditor", username="olga"))
    me = api_as(user=auditor)

    assert [row["id"] for row in me.get("/api/v1/exports/").json()["results"]] == [str(mine.uuid)]
    assert me.get(f"/api/v1/exports/{theirs.uuid}/").status_code == 404
    assert me.get(f"/api/v1/exports/{theirs.uuid}/download/").status_code == 404
    assert me.get(f"/api/v1/exports/{uuid.uuid4()}/").status_code == 404

    root = api_as(user=make_user(username="root", is_superuser=True))
    listed = [row["id"] for row in root.get("/api/v1/exports/").json()["results"]]
    assert listed == [str(theirs.uuid), str(mine.uuid)]
    assert root.get(f"/api/v1/exports/{mine.uuid}/").json()["requested_by"] == "ines"


@pytest.mark.usefixtures("eager_tasks")
def test_a_superuser_may_export(api_as, make_user, db, django_capture_on_commit_callbacks):
    root = api_as(user=make_user(username="root", is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        created = root.post("/api/v1/exports/", {"format": "csv"}, format="json")
    assert created.status_code == 202
    assert AuditExport.objects.get().status == ExportStatus.DONE


def test_the_bundle_is_a_zip_of_three_files(auditor_api, auditor, live_agent):
    export = _done(auditor, agent="payments-bot")
    response = auditor_api.get(f"/api/v1/exports/{export.uuid}/download/", HTTP_ACCEPT="application/zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert sorted(names) == ["audit-events.jsonl", "manifest.json", "manifest.sig"]

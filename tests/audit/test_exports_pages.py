"""Export pages: the form takes the trail's filters, the status page polls, only auditors get in."""

import uuid

import pytest
from django.urls import reverse

from apps.audit.exports import service
from apps.audit.models import AuditEvent, AuditExport, ExportStatus
from tests.audit.export_helpers import eager_tasks, exports_in_tmp  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("exports_in_tmp")]


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="ines")


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


def _queued(user, **filters) -> AuditExport:
    return service.export_request(actor=user, filters=filters, format="csv", enqueue=False)


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_every_export_page_is_403_without_the_auditor_role(client, make_user, auditor, role):
    export = service.export_run(export_id=_queued(auditor).pk)
    client.force_login(make_user(role))
    for name, args in [
        ("audit:export_list", []),
        ("audit:export_new", []),
        ("audit:export_verifier", []),
        ("audit:export_detail", [export.uuid]),
        ("audit:export_download", [export.uuid]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("audit:export_new"), {"format": "csv"}).status_code == 403
    assert AuditExport.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("audit:export_new"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_form_shows_the_trails_filters_and_starts_the_export(auditor_client, live_agent):
    url = reverse("audit:export_new") + "?agent=payments-bot&type=change&before=123-4"
    page = auditor_client.get(url)
    assert page.status_code == 200
    assert ("Agent (slug)", "payments-bot") in page.context["described"]
    assert ("Type", "Change") in page.context["described"]
    assert b"Start the export" in page.content

    response = auditor_client.post(url, {"format": "jsonl"})

    export = AuditExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:export_detail", args=[export.uuid])
    assert export.format == "jsonl" and export.filters["agent"] == "payments-bot"
    assert export.filters["type"] == ["change"] and "before" not in export.filters


def test_the_form_says_when_the_filters_cannot_be_exported(auditor_client, db):
    url = reverse("audit:export_new") + "?agent=nobody"
    page = auditor_client.get(url)
    assert b"These filters cannot be exported: no agent with slug" in page.content

    refused = auditor_client.post(url, {"format": "csv"})
    assert refused.status_code == 400
    assert b"no agent with slug" in refused.content
    assert not AuditExport.objects.exists()


def test_the_status_page_polls_until_the_export_is_done(auditor_client, auditor, live_agent):
    export = _queued(auditor)
    url = reverse("audit:export_detail", args=[export.uuid])

    queued = auditor_client.get(url)
    assert b'hx-trigger="every 1s"' in queued.content and b"Waiting for a worker" in queued.content

    fragment = auditor_client.get(url, headers={"HX-Request": "true"})
    assert fragment.content.lstrip().startswith(b"{#") is False
    assert b"<html" not in fragment.content and b'id="export-progress"' in fragment.content

    service.export_run(export_id=export.pk)
    done = auditor_client.get(url, headers={"HX-Request": "true"})
    assert b"hx-trigger" not in done.content  # polling stops
    assert reverse("audit:export_download", args=[export.uuid]).encode() in done.content
    assert b"Hash chains verified" in done.content


def test_a_running_export_shows_its_progress(auditor_client, auditor, db):
    export = _queued(auditor)
    AuditExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, stage="writing", rows_total=200, rows_written=50
    )
    page = auditor_client.get(reverse("audit:export_detail", args=[export.uuid]))
    assert b'<progress max="100" value="25"' in page.content
    assert b"50 of 200 events written (25%)" in page.content
    assert b"Writing the events" in page.content


def test_a_failed_export_shows_why(auditor_client, auditor, db):
    export = _queued(auditor)
    AuditExport.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED, error="OSError: disk full")
    page = auditor_client.get(reverse("audit:export_detail", args=[export.uuid]))
    assert b"OSError: disk full" in page.content and b'hx-trigger="every 1s"' not in page.content


def test_the_download_is_the_bundle_and_is_recorded(auditor_client, auditor, live_agent):
    export = service.export_run(export_id=_queued(auditor).pk)
    response = auditor_client.get(reverse("audit:export_download", args=[export.uuid]))

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content) == service.bundle_path(export).read_bytes()
    downloaded = AuditEvent.objects.get(name="audit.export_downloaded")
    assert downloaded.actor_user == auditor and downloaded.data["export"] == str(export.uuid)


def test_downloading_an_unfinished_export_goes_back_to_its_page(auditor_client, auditor, db):
    export = _queued(auditor)
    response = auditor_client.get(reverse("audit:export_download", args=[export.uuid]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("audit:export_detail", args=[export.uuid])
    assert b"Cannot download: the export is queued, not done." in response.content


def test_the_list_shows_your_exports_and_a_superuser_everyones(client, auditor, make_user, db):
    mine, theirs = _queued(auditor, type="change"), _queued(make_user("auditor", username="olga"))
    client.force_login(auditor)
    page = client.get(reverse("audit:export_list"))
    assert list(page.context["page"].object_list) == [mine]
    assert b"Type: Change" in page.content
    assert client.get(reverse("audit:export_detail", args=[theirs.uuid])).status_code == 404
    assert client.get(reverse("audit:export_detail", args=[uuid.uuid4()])).status_code == 404

    client.force_login(make_user(username="root", is_superuser=True))
    assert list(client.get(reverse("audit:export_list")).context["page"].object_list) == [theirs, mine]


def test_the_list_has_an_empty_state(auditor_client):
    assert b"No exports yet" in auditor_client.get(reverse("audit:export_list")).content


def test_the_verifier_script_is_offered_for_download(auditor_client):
    response = auditor_client.get(reverse("audit:export_verifier"))
    assert response.status_code == 200
    assert b"def verify_bundle(" in b"".join(response.streaming_content)


def test_the_trail_offers_auditors_an_export_of_what_is_on_screen(client, make_user):
    client.force_login(make_user("auditor"))
    response = client.get("/audit/?type=decision&agent=payments-bot")
    assert response.status_code == 200
    assert b"/audit/exports/new/?type=decision&amp;agent=payments-bot" in response.content


def test_the_trail_offers_no_export_to_a_viewer(client, make_user):
    client.force_login(make_user("viewer"))
    assert b"/audit/exports/new/" not in client.get("/audit/").content

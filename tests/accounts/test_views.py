"""Sign-in and sign-out pages, their audit rows, and the app shell they lead to."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent, EventStatus, EventType
from tests.factories import PASSWORD


@pytest.fixture
def viewer(make_user):
    return make_user("viewer", username="vera")


def test_sign_in_page_renders_with_a_csrf_protected_form(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'<label for="id_username"' in response.content


def test_signing_in_writes_an_access_event_and_opens_the_overview(client, viewer):
    response = client.post(reverse("accounts:login"), {"username": "vera", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("overview")
    event = AuditEvent.objects.get(name="user.login")
    assert (event.type, event.actor_user, event.status) == (EventType.ACCESS, viewer, EventStatus.OK)
    assert event.source_ip == "127.0.0.1"


def test_a_failed_sign_in_is_recorded_as_denied_without_an_actor(client, viewer):
    response = client.post(reverse("accounts:login"), {"username": "vera", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    event = AuditEvent.objects.get(name="user.login_failed")
    assert event.status == EventStatus.DENIED
    assert event.actor_type == "system" and event.actor_user is None
    assert event.data == {"username": "vera"}
    assert not AuditEvent.objects.filter(name="user.login").exists()


def test_signing_out_is_a_post_and_is_recorded(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("accounts:logout")).status_code == 405

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert AuditEvent.objects.get(name="user.logout").actor_user == viewer
    assert client.get(reverse("overview")).status_code == 302  # signed out for real


def test_the_shell_shows_the_user_their_roles_and_every_area(client, viewer):
    client.force_login(viewer)
    page = client.get(reverse("overview")).content.decode()

    assert "vera" in page and '<span class="role">viewer</span>' in page
    for area in ("Overview", "Agents", "Audit trail", "Approvals", "Drift", "Alerts", "Policies"):
        assert area in page
    assert f'action="{reverse("accounts:logout")}"' in page


def test_overview_shows_fleet_counts_tiers_and_recent_changes(client, viewer, live_agent):
    client.force_login(viewer)
    response = client.get(reverse("overview"))

    assert response.status_code == 200
    assert ("active", "Active", 1) in response.context["statuses"]
    assert ("high", "High", 1) in response.context["tiers"]
    assert [e.name for e in response.context["recent_changes"]][:1] == ["agent.deployed"]
    assert b"Pending approvals" in response.content


def test_overview_needs_a_role(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("overview")).status_code == 403

"""Staff alert API: everyone reads, reviewers and admins acknowledge and silence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alerts.conftest import fire

pytestmark = pytest.mark.django_db


def test_viewers_list_alerts_with_filters_and_a_cursor(api_as, live_agent):
    fire(agent=live_agent)
    fire(fingerprint="b", severity="info", title="Info")
    client = api_as("viewer")

    body = client.get("/api/v1/alerts/").json()
    assert {a["title"] for a in body["results"]} == {"Disk on fire", "Info"}
    assert "next" in body and "count" not in body
    body = client.get("/api/v1/alerts/", {"severity": "critical", "agent": "payments-bot"}).json()
    assert [a["agent"] for a in body["results"]] == ["payments-bot"]


def test_an_alert_comes_with_its_deliveries(api_as):
    alert = fire()
    body = api_as("viewer").get(f"/api/v1/alerts/{alert.pk}/").json()
    assert body["fingerprint"] == "test:disk" and body["deliveries"] == []


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), ("auditor", 403), ("reviewer", 200), ("admin", 200)]
)
def test_who_may_acknowledge(api_as, role, status):
    alert = fire()
    response = api_as(role).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "on it"}, format="json")
    assert response.status_code == status


def test_acknowledging_twice_is_a_conflict(api_as):
    alert = fire()
    client = api_as("reviewer")
    client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 409 and "already acknowledged" in response.json()["error"]


def test_silence_validates_its_input(api_as):
    alert = fire()
    client = api_as("reviewer")
    url = f"/api/v1/alerts/{alert.pk}/silence/"
    until = (timezone.now() + timedelta(hours=2)).isoformat()

    assert client.post(url, {"until": until}, format="json").status_code == 400
    response = client.post(url, {"until": until, "reason": "x", "extra": 1}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "extra"
    response = client.post(url, {"until": until, "reason": "maintenance"}, format="json")
    assert response.status_code == 200 and response.json()["silenced"] is True

"""The Alerts, Channels and Rules pages, per role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts import services
from apps.alerts.models import AlertRule, Channel
from apps.audit.models import AuditEvent
from tests.alerts.conftest import fire

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(client, make_user):
    def login(role):
        user = make_user(role)
        client.force_login(user)
        return client

    return login


def test_viewers_see_alerts_filtered_but_cannot_acknowledge(as_role, live_agent):
    fire(agent=live_agent)
    fire(fingerprint="quiet", severity="info", title="Just so you know")
    client = as_role("viewer")

    page = client.get(reverse("alerts:alert_list")).content.decode()
    assert "Disk on fire" in page and "Just so you know" in page and "Acknowledge" not in page
    page = client.get(
        reverse("alerts:alert_list"), {"severity": "critical", "agent": "payments-bot"}
    ).content.decode()
    assert "Disk on fire" in page and "Just so you know" not in page
    alert = fire()
    assert client.post(reverse("alerts:alert_acknowledge", args=[alert.pk])).status_code == 403


def test_a_filter_change_returns_only_the_results_fragment(as_role):
    fire()
    response = as_role("viewer").get(
        reverse("alerts:alert_list"), {"state": "firing"}, HTTP_HX_REQUEST="true"
    )
    assert b'id="alert-results"' in response.content and b"<html" not in response.content


def test_a_reviewer_acknowledges_from_the_list_and_returns_to_it(as_role):
    alert = fire()
    client = as_role("reviewer")
    back = reverse("alerts:alert_list") + "?state=firing"
    response = client.post(reverse("alerts:alert_acknowledge", args=[alert.pk]), {"next": back})
    assert response.status_code == 302 and response.url == back
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


def test_next_cannot_send_the_user_elsewhere(as_role):
    alert = fire()
    response = as_role("reviewer").post(
        reverse("alerts:alert_acknowledge", args=[alert.pk]), {"next": "https://evil.example.com/"}
    )
    assert response.url == reverse("alerts:alert_detail", args=[alert.pk])


def test_acknowledging_twice_shows_why_not(as_role):
    alert = fire()
    client = as_role("reviewer")
    client.post(reverse("alerts:alert_acknowledge", args=[alert.pk]))
    response = client.post(reverse("alerts:alert_acknowledge", args=[alert.pk]))
    assert response.status_code == 400 and b"already acknowledged" in response.content


def test_a_reviewer_silences_with_a_reason(as_role):
    alert = fire()
    client = as_role("reviewer")
    url = reverse("alerts:alert_silence", args=[alert.pk])
    assert client.post(url, {"duration": "4", "reason": ""}).status_code == 400
    response = client.post(url, {"duration": "4", "reason": "maintenance window"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert timezone.now() + timedelta(hours=3) < alert.silenced_until < timezone.now() + timedelta(hours=5)
    assert AuditEvent.objects.get(name="alert.silenced").rationale == "maintenance window"
    detail = client.get(reverse("alerts:alert_detail", args=[alert.pk])).content.decode()
    assert "Lift the silence" in detail


def test_alert_detail_lists_its_deliveries(as_role, webhook, receiver):
    from apps.alerts.services.alerts import episode_of
    from apps.alerts.services.deliveries import delivery_attempt, notifications_fan_out

    webhook()
    alert = fire()
    [delivery] = notifications_fan_out(alert_id=alert.pk, event="firing", episode=episode_of(alert))
    delivery_attempt(delivery_id=delivery)
    page = as_role("viewer").get(reverse("alerts:alert_detail", args=[alert.pk])).content.decode()
    assert "ops hook" in page and "Sent" in page


def test_only_admins_add_channels_and_the_form_says_what_is_wrong(as_role):
    url = reverse("alerts:channel_create")
    assert as_role("reviewer").get(url).status_code == 403
    client = as_role("admin")
    response = client.post(
        url, {"kind": "email", "name": "oncall", "target": "not-an-address", "min_severity": "warning"}
    )
    assert response.status_code == 400 and b"is not an email address" in response.content
    response = client.post(
        url,
        {
            "kind": "email",
            "name": "oncall",
            "target": "ops@example.com",
            "min_severity": "warning",
            "teams": "payments, search",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.teams == ["payments", "search"]
    assert AuditEvent.objects.get(name="alert_channel.created").data["kind"] == "email"


def test_a_test_send_reports_its_result_and_a_disabled_channel_shows_why(as_role, webhook, receiver):
    channel = webhook()
    client = as_role("admin")
    response = client.post(reverse("alerts:channel_test", args=[channel.pk]), follow=True)
    assert b"Test sent to ops hook" in response.content and receiver.requests[0].json["event"] == "test"

    receiver.status = 500
    response = client.post(reverse("alerts:channel_test", args=[channel.pk]), follow=True)
    assert b"The test to ops hook failed: HTTP 500" in response.content
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0  # tests do not count

    services.channel_disable(channel=channel, reason="HTTP 410: gone")
    listing = client.get(reverse("alerts:channel_list")).content.decode()
    assert "Disabled" in listing and "HTTP 410: gone" in listing
    client.post(reverse("alerts:channel_enable", args=[channel.pk]))
    channel.refresh_from_db()
    assert channel.enabled


def test_the_channel_list_hides_webhook_paths_from_viewers(as_role, admin):
    services.channel_create(
        actor=admin,
        kind="slack",
        name="chat",
        target="https://hooks.slack.com/services/T0/B0/secret",
        min_severity="info",
    )
    page = as_role("viewer").get(reverse("alerts:channel_list")).content.decode()
    assert "https://hooks.slack.com/…" in page and "secret" not in page


def test_admins_write_rules_and_viewers_read_them(as_role, live_agent):
    client = as_role("admin")
    data = {
        "name": "slow payments",
        "metric": "p95_latency_ms",
        "agent": "payments-bot",
        "comparison": "gt",
        "threshold": "800",
        "window_minutes": "15",
        "min_events": "20",
        "severity": "warning",
        "enabled": "on",
    }
    assert client.post(reverse("alerts:rule_create"), data).status_code == 302
    rule = AlertRule.objects.get()
    assert rule.agent == live_agent
    data["threshold"] = "-1"
    assert client.post(reverse("alerts:rule_edit", args=[rule.pk]), data).status_code == 400

    viewer = as_role("viewer")
    assert "slow payments" in viewer.get(reverse("alerts:rule_list")).content.decode()
    assert viewer.get(reverse("alerts:rule_create")).status_code == 403


def test_the_alerts_link_is_in_the_main_nav(as_role):
    page = as_role("viewer").get(reverse("alerts:alert_list")).content.decode()
    assert 'aria-current="page">Alerts</a>' in page


def test_an_admin_disables_a_channel_with_a_reason_and_rotates_a_webhook_secret(as_role, webhook):
    channel = webhook()
    old_secret = channel.secret
    client = as_role("admin")
    client.post(reverse("alerts:channel_disable", args=[channel.pk]), {"reason": ""})
    channel.refresh_from_db()
    assert channel.enabled
    client.post(reverse("alerts:channel_disable", args=[channel.pk]), {"reason": "receiver moved"})
    channel.refresh_from_db()
    assert not channel.enabled and channel.disabled_reason == "receiver moved"

    client.post(reverse("alerts:channel_rotate_secret", args=[channel.pk]))
    channel.refresh_from_db()
    assert channel.secret and channel.secret != old_secret
    assert AuditEvent.objects.filter(name="alert_channel.secret_rotated").exists()


def test_every_alerts_page_renders_for_an_admin_over_the_demo_data(as_role):
    from django.core.management import call_command

    from apps.alerts.models import Alert

    call_command("seed_demo")
    client = as_role("admin")
    alert, channel, rule = Alert.objects.first(), Channel.objects.first(), AlertRule.objects.first()
    urls = [
        reverse("alerts:alert_list"),
        reverse("alerts:alert_list") + "?state=resolved&kind=agent_degraded",
        reverse("alerts:alert_detail", args=[alert.pk]),
        reverse("alerts:alert_silence", args=[alert.pk]),
        reverse("alerts:channel_list"),
        reverse("alerts:channel_create"),
        reverse("alerts:channel_detail", args=[channel.pk]),
        reverse("alerts:channel_edit", args=[channel.pk]),
        reverse("alerts:rule_list"),
        reverse("alerts:rule_create"),
        reverse("alerts:rule_edit", args=[rule.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url

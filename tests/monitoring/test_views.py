"""Drift pages, the overview's monitoring cards, and an agent's monitoring settings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.services import alert_fire
from apps.audit.models import AuditEvent
from apps.monitoring.drift.check import drift_check
from apps.monitoring.models import AgentMonitor
from tests.monitoring.helpers import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def drifting(live_agent):
    now = timezone.now()
    report(live_agent, at=now - timedelta(hours=24), n=200, name="github.read", spacing=timedelta(minutes=50))
    report(live_agent, at=now, n=60, name="shell.exec", spacing=timedelta(minutes=10))
    drift_check(now=now)
    return live_agent


def test_the_drift_page_lists_drifting_agents_and_draws_the_heatmap(client, make_user, drifting):
    client.force_login(make_user("viewer"))

    page = client.get(reverse("monitoring:drift")).content.decode()

    assert "Payments bot" in page
    assert "started calling `shell.exec` (60 calls), never used before" in page
    assert 'id="drift-heatmap"' in page and '"type": "heatmap"' in page
    assert "vendor/plotly.min.js" in page and "cdn" not in page.lower()


def test_the_drift_page_says_when_no_check_has_run(client, make_user):
    client.force_login(make_user("viewer"))

    assert b"No drift check has run yet" in client.get(reverse("monitoring:drift")).content


def test_an_agents_drift_tab_draws_history_mix_and_distributions(client, make_user, drifting):
    client.force_login(make_user("viewer"))

    page = client.get(reverse("monitoring:agent_drift", args=["payments-bot"])).content.decode()

    for chart in ("drift-history", "drift-mix", "drift-dist-latency"):
        assert f'id="{chart}"' in page
    assert "Jensen-Shannon distance" in page


def test_the_agent_page_links_its_drift_tab_and_shows_health(client, make_user, live_agent):
    client.force_login(make_user("viewer"))

    page = client.get(reverse("registry:agent_detail", args=["payments-bot"])).content.decode()

    assert reverse("monitoring:agent_drift", args=["payments-bot"]) in page
    assert "badge--health-never" in page


def test_the_agents_list_shows_health(client, make_user, live_agent):
    client.force_login(make_user("viewer"))

    assert b"badge--health-never" in client.get(reverse("registry:agent_list")).content


def test_pages_need_a_role(client, make_user, live_agent):
    client.force_login(make_user())

    assert client.get(reverse("monitoring:drift")).status_code == 403
    assert client.get(reverse("monitoring:agent_drift", args=["payments-bot"])).status_code == 403


def test_the_overview_shows_health_drift_alerts_and_events_per_hour(client, make_user, drifting):
    alert_fire(fingerprint="x", kind="agent_down", severity="critical", title="x is down", agent=drifting)
    client.force_login(make_user("viewer"))

    response = client.get(reverse("overview"))
    page = response.content.decode()

    assert response.context["firing_alerts"] == 2  # the drift alert and this one
    assert response.context["pending_approvals"] == 0
    assert "Pending approvals" in page and "Nothing waits for a reviewer" in page
    assert "Top drifting agents" in page and "Payments bot" in page
    assert 'id="events-per-hour"' in page
    assert dict((s, n) for s, _, n in response.context["health"])["never"] == 1


def test_a_viewer_cannot_change_monitoring(client, make_user, live_agent):
    client.force_login(make_user("viewer"))

    assert client.get(reverse("monitoring:monitor_settings", args=["payments-bot"])).status_code == 403


def test_an_admin_changes_an_agents_monitoring_and_it_is_audited(client, admin, live_agent):
    client.force_login(admin)
    url = reverse("monitoring:monitor_settings", args=["payments-bot"])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "interval_seconds": 120,
            "grace_seconds": 60,
            "error_rate_threshold": "0.1",
            "p95_latency_ms_threshold": "",
            "drift_baseline": "deploy",
            "drift_tool_mix": "0.4",
            "reason": "busy agent",
        },
    )

    assert response.status_code == 302
    monitor = AgentMonitor.objects.get(agent=live_agent)
    assert monitor.interval == timedelta(seconds=120) and monitor.grace == timedelta(seconds=60)
    assert monitor.error_rate_threshold == 0.1 and monitor.drift_baseline == "deploy"
    assert monitor.drift_thresholds == {"tool_mix": 0.4}
    event = AuditEvent.objects.get(name="agent.monitoring_changed")
    assert event.rationale == "busy agent" and event.data["interval"] == 120.0


def test_bad_monitoring_settings_are_refused_with_the_field(client, admin, live_agent):
    client.force_login(admin)
    url = reverse("monitoring:monitor_settings", args=["payments-bot"])

    response = client.post(url, {"interval_seconds": 5, "grace_seconds": 60, "drift_baseline": "rolling"})

    assert response.status_code == 400
    assert "interval_seconds" in response.context["form"].errors
    assert not AuditEvent.objects.filter(name="agent.monitoring_changed").exists()

"""Monitoring in a real browser: the overview, the drift page and an agent's drift tab
draw their plotly charts from the vendored plotly.js."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.monitoring.drift.check import drift_check
from apps.monitoring.health import health_sweep
from apps.monitoring.services import heartbeat_record
from apps.registry import services as registry
from tests.e2e.test_registry_flow import nav, sign_in
from tests.factories import UserFactory
from tests.monitoring.helpers import report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {
    "overview": "/tmp/agentgov-monitoring-overview.png",
    "drift": "/tmp/agentgov-drift.png",
    "agent": "/tmp/agentgov-agent-drift.png",
}


def drifting_agent(owner):
    agent = registry.agent_register(
        actor=owner, slug="payments-bot", name="Payments bot", owner=owner, risk_tier="high"
    )
    agent = registry.agent_deploy(agent=agent, actor=owner, version="1.0.0", model="gpt-4.1")
    now = timezone.now()
    report(agent, at=now - timedelta(hours=24), n=300, name="github.read", spacing=timedelta(minutes=30))
    report(agent, at=now, n=60, name="shell.exec", duration_ms=1500.0, spacing=timedelta(minutes=10))
    heartbeat_record(agent=agent, now=now - timedelta(hours=2))
    # A week of history, so the metric chart has a line to draw.
    for hours in range(168, 0, -12):
        drift_check(now=now - timedelta(hours=hours), follow=False)
    drift_check(now=now)
    health_sweep(now=now)
    return agent


def charts_drawn(page, count: int) -> None:
    expect(page.locator(".chart .main-svg").first).to_be_visible()
    assert page.locator(".chart .plot-container").count() == count


def test_a_person_sees_health_and_drift_charts_across_the_pages(page, roles):
    ada = UserFactory(username="ada", first_name="Ada", last_name="Admin", roles=["admin"])
    drifting_agent(ada)
    sign_in(page, "ada")

    expect(page.get_by_role("region", name="Firing alerts")).to_contain_text("2")
    expect(page.get_by_role("region", name="Top drifting agents")).to_contain_text("Payments bot")
    expect(page.get_by_role("region", name="Active agents by health")).to_contain_text("Down")
    charts_drawn(page, 1)
    page.screenshot(path=SCREENSHOTS["overview"], full_page=True)

    nav(page, "Drift").click()
    expect(page.get_by_role("heading", name="Drift", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Drifting agents")).to_contain_text("never used before")
    charts_drawn(page, 1)
    expect(page.locator("#drift-heatmap + .chart .main-svg").first).to_be_visible()
    page.screenshot(path=SCREENSHOTS["drift"], full_page=True)

    page.get_by_role("region", name="Drifting agents").get_by_role("link", name="Payments bot").click()
    expect(page).to_have_url(re.compile(r"/drift/agents/payments-bot/$"))
    expect(page.get_by_role("region", name="Latest check")).to_contain_text("Jensen-Shannon distance")
    charts_drawn(page, 3)  # metrics over time, tool mix, latency
    expect(page.get_by_role("region", name="Health changes")).to_contain_text("Down")
    page.screenshot(path=SCREENSHOTS["agent"], full_page=True)

    page.get_by_role("navigation", name="Agent pages").get_by_role("link", name="Overview").click()
    expect(page.get_by_role("region", name="Health")).to_contain_text("Down")

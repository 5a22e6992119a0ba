"""The alerts flow in a real browser: see what fires, acknowledge it, silence another."""

import re

import pytest
from playwright.sync_api import expect

from apps.alerts import services
from apps.alerts.tasks import fan_out
from apps.registry import services as registry
from tests.e2e.test_registry_flow import nav, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {"list": "/tmp/agentgov-alerts.png", "detail": "/tmp/agentgov-alert-detail.png"}


@pytest.fixture
def firing(roles, monkeypatch):
    # Notifications are not the point here (tests/alerts covers them): nothing is sent.
    monkeypatch.setattr(fan_out._get_current_object(), "delay", lambda *args: None, raising=False)
    admin = UserFactory(username="ada", roles=["admin"])
    agent = registry.agent_register(
        actor=admin, slug="payments-bot", name="Payments bot", owner=admin, risk_tier="high"
    )
    down = services.alert_fire(
        fingerprint="agent_down:payments-bot",
        kind="agent_down",
        severity="critical",
        title="payments-bot is down",
        summary="No heartbeat for 12 minutes.",
        agent=agent,
    )
    drift = services.alert_fire(
        fingerprint="drift:payments-bot",
        kind="drift",
        severity="warning",
        title="payments-bot drifts",
        agent=agent,
    )
    return down, drift


def test_a_reviewer_acknowledges_one_alert_and_silences_another(page, firing):
    down, drift = firing
    UserFactory(username="rita", first_name="Rita", last_name="Reviewer", roles=["reviewer"])
    sign_in(page, "rita")

    nav(page, "Alerts").click()
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    row = page.get_by_role("row", name=re.compile("payments-bot is down"))
    expect(row).to_contain_text("Firing")
    expect(row).to_contain_text("Critical")
    page.screenshot(path=SCREENSHOTS["list"], full_page=True)

    row.get_by_role("button", name="Acknowledge payments-bot is down").click()
    expect(page.get_by_role("status")).to_contain_text("Acknowledged: payments-bot is down")
    expect(page.get_by_role("row", name=re.compile("payments-bot is down"))).to_contain_text(
        "Acknowledged by Rita Reviewer"
    )

    # Filters narrow the list in place (htmx), and the URL keeps them.
    page.get_by_label("Warning").check()
    expect(page).to_have_url(re.compile(r"severity=warning"))
    expect(page.get_by_role("row", name=re.compile("payments-bot is down"))).to_have_count(0)

    page.get_by_role("link", name="payments-bot drifts").click()
    page.get_by_role("link", name="Silence…").click()
    page.get_by_label("Silence for").select_option("24")
    page.get_by_label("Reason").fill("Expected after the 2.0 rollout")
    page.get_by_role("button", name="Silence", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Silenced until")
    expect(page.get_by_role("button", name="Lift the silence")).to_be_visible()
    page.screenshot(path=SCREENSHOTS["detail"], full_page=True)

    down.refresh_from_db()
    drift.refresh_from_db()
    assert down.acknowledged_by.username == "rita" and drift.is_silenced


def test_an_admin_adds_a_webhook_channel_and_sends_it_a_test(page, roles):
    from tests.alerts.receiver import webhook_receiver

    UserFactory(username="ada", first_name="Ada", last_name="Admin", roles=["admin"])
    sign_in(page, "ada")
    nav(page, "Alerts").click()
    page.get_by_role("link", name="Channels", exact=True).click()
    page.get_by_role("link", name="Add a channel").click()

    with webhook_receiver() as receiver:
        page.get_by_label("Kind").select_option("webhook")
        page.get_by_label("Name").fill("ops webhook")
        page.get_by_label("Target").fill("not a url")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text("enter an http:// or https:// URL")

        page.get_by_label("Target").fill(receiver.url)
        page.get_by_label("Send alerts of this severity and above").select_option("critical")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="ops webhook", level=1)).to_be_visible()
        page.get_by_role("button", name="Send a test").click()
        expect(page.get_by_role("status")).to_contain_text("Test sent to ops webhook")
        expect(page.get_by_role("region", name="Recent deliveries")).to_contain_text("Sent")
        page.screenshot(path="/tmp/agentgov-channel.png", full_page=True)

    secret = page.locator(".secret-value").inner_text()
    assert receiver.count == 1 and receiver.requests[0].signed_with(secret)

"""The main registry flow in a real browser: sign in, register, deploy, read the history."""

import re

import pytest
from playwright.sync_api import expect

from apps.registry import services
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {
    "detail": "/tmp/agentgov-agent-detail.png",
    "list": "/tmp/agentgov-agent-list.png",
    "overview": "/tmp/agentgov-overview.png",
}


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def nav(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_admin_registers_deploys_and_reads_the_history_of_an_agent(page, roles):
    UserFactory(username="ada", first_name="Ada", last_name="Admin", roles=["admin"])
    sign_in(page, "ada")

    nav(page, "Agents").click()
    expect(page.get_by_text("No agents registered yet")).to_be_visible()
    page.get_by_role("link", name="Register the first agent").click()
    page.get_by_label("Slug").fill("claims-triage")
    page.get_by_label("Name", exact=True).fill("Claims triage")
    page.get_by_label("Purpose").fill("Sorts incoming insurance claims by urgency.")
    page.get_by_label("Owner").select_option("ada")
    page.get_by_label("Team").fill("claims")
    page.get_by_label("Risk tier").select_option("high")
    page.get_by_label("Tags").fill("claims, customer-facing")
    page.get_by_label("Reason").fill("New agent for the claims team")
    page.get_by_role("button", name="Register").click()

    expect(page).to_have_url(re.compile(r"/agents/claims-triage/$"))
    expect(page.get_by_role("status")).to_contain_text("Agent claims-triage registered")
    page.get_by_role("link", name="Deploy", exact=True).click()
    page.get_by_label("New version label").fill("1.0.0")
    page.get_by_label("Model").fill("gpt-4.1")
    page.get_by_label("Declared tools").fill("read_claim\nset_priority")
    page.get_by_label("Changelog").fill("First release.")
    page.get_by_label("Reason").fill("Pilot approved by the claims lead")
    page.get_by_role("button", name="Deploy").click()

    expect(page.get_by_role("status")).to_contain_text("Version 1.0.0 of claims-triage is deployed")
    expect(page.locator("h1 + .subtitle")).to_contain_text("Active")
    history = page.get_by_role("region", name="Lifecycle history")
    expect(history).to_contain_text("agent.registered")
    expect(history).to_contain_text("agent.deployed")
    expect(history).to_contain_text("Pilot approved by the claims lead")
    expect(page.get_by_role("region", name="Current version")).to_contain_text("set_priority")
    page.screenshot(path=SCREENSHOTS["detail"], full_page=True)

    nav(page, "Agents").click()
    row = page.get_by_role("row", name=re.compile("Claims triage"))
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("1.0.0")
    page.get_by_role("checkbox", name="Retired").check()  # htmx refreshes the table
    expect(page.get_by_text("No agent matches these filters")).to_be_visible()
    expect(page).to_have_url(re.compile(r"status=retired"))
    page.get_by_role("checkbox", name="Retired").uncheck()
    expect(row).to_be_visible()
    page.screenshot(path=SCREENSHOTS["list"], full_page=True)

    nav(page, "Overview").click()
    expect(page.get_by_role("region", name="Recent changes")).to_contain_text("agent.deployed")
    page.screenshot(path=SCREENSHOTS["overview"], full_page=True)


def test_a_table_too_wide_for_the_window_scrolls_inside_its_frame_not_the_page(page, roles):
    ada = UserFactory(username="ada", roles=["admin"])
    agent = services.agent_register(actor=ada, slug="wide-bot", name="Wide bot", owner=ada, risk_tier="low")
    for name in ("simulate_fleet", "a key with a rather long descriptive name"):
        services.agent_key_create(agent=agent, actor=ada, name=name)
    page.set_viewport_size({"width": 1000, "height": 900})
    sign_in(page, "ada")
    page.goto("/agents/wide-bot/")
    keys = page.get_by_role("region", name="API keys").locator(".table-wrap")
    assert keys.evaluate("e => e.scrollWidth > e.clientWidth")  # the keys table does scroll here
    # Its visually hidden labels ("Rotate agk_...") must not stretch the page beside it.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

"""The policy flow in a real browser: an admin writes the first policy (the bad rule is named
next to the YAML), reads its diff, then simulates a draft against recorded requests and
publishes it from the simulation."""

import re

import pytest
from playwright.sync_api import expect

from apps.governance import services as governance
from apps.governance.models import PolicyVersion
from apps.registry import services
from tests.e2e.test_registry_flow import nav, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {"error": "/tmp/agentgov-policy-error.png", "simulation": "/tmp/agentgov-policy-simulation.png"}
FIRST = """holds: escalate
rules:
- name: reads-are-free
  action: "*.read"
  effect: allow
- name: prod-deploys
  action: deploy
  resource: "k8s:prod/*"
  effect: needs_a_human
"""
DRAFT_RULE = """- name: staging-deploys
  action: deploy
  resource: "k8s:staging/*"
  effect: allow
"""


@pytest.fixture
def history(roles):
    admin = UserFactory(username="ada", roles=["admin"])
    agent = services.agent_register(
        actor=admin, slug="deploy-bot", name="Deploy bot", owner=admin, risk_tier="high"
    )
    agent = services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
    for resource in ("k8s:staging/api", "k8s:staging/web", "k8s:prod/api"):
        governance.action_request(actor=agent, action="deploy", resource=resource)


def test_admin_writes_simulates_and_publishes_the_policy(page, history):
    sign_in(page, "ada")
    nav(page, "Policies").click()
    expect(page.get_by_text("Only the tier defaults apply")).to_be_visible()
    page.get_by_role("link", name="Write the first policy").click()

    page.get_by_label("Policy (YAML)").fill(FIRST)
    page.get_by_label("What changed and why").fill("First policy")
    page.get_by_role("button", name="Publish a new version").click()
    expect(page.locator("#id_yaml_error1")).to_contain_text("rule 2 ('prod-deploys'): effect must be one of")
    page.screenshot(path=SCREENSHOTS["error"], full_page=True)
    assert not PolicyVersion.objects.exists()

    page.get_by_label("Policy (YAML)").fill(FIRST.replace("needs_a_human", "require_approval"))
    page.get_by_role("button", name="Publish a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Policy version 1 is in force from now on.")
    changes = page.get_by_role("region", name="Changes")
    expect(changes.locator(".diff-add").filter(has_text="name: prod-deploys")).to_have_count(1)

    nav(page, "Policies").click()
    page.get_by_role("link", name="Simulate a draft").click()
    yaml_field = page.get_by_label("Policy (YAML)")
    expect(yaml_field).to_have_value(re.compile("prod-deploys"))
    yaml_field.fill(yaml_field.input_value() + DRAFT_RULE)
    page.get_by_role("button", name="Run the simulation").click()
    result = page.get_by_role("region", name=re.compile("Result"))
    expect(result).to_contain_text("3 requests in the last 7 days")
    expect(result).to_contain_text("2 decisions would change: 2 escalated → allowed")
    expect(result.get_by_role("row", name=re.compile(r"k8s:staging\/api"))).to_contain_text("staging-deploys")
    page.screenshot(path=SCREENSHOTS["simulation"], full_page=True)

    page.get_by_label("Comment (to publish)").fill("Staging deploys need nobody")
    page.get_by_role("button", name="Publish as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Policy version 2 is in force from now on.")
    expect(page.get_by_role("region", name=re.compile("Changes since v1"))).to_contain_text(
        "+- name: staging-deploys"
    )

"""The approval flow in a real browser: an agent's high-risk request appears in the live queue,
a reviewer opens it, reads the rationale and trace, approves, and the agent's long-poll
returns `allow`.

The agent is a background thread speaking HTTP to live_server with its own key, exactly as
an agent would: it reports its plan as an audit event, asks to deploy, then long-polls."""

import json
import re
import threading
import urllib.request

import pytest
from playwright.sync_api import expect

from apps.registry import services
from tests.e2e.test_registry_flow import nav, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {
    "queue": "/tmp/agentgov-approval-queue.png",
    "review": "/tmp/agentgov-approval-review.png",
    "approved": "/tmp/agentgov-approval-approved.png",
}
RATIONALE = "Release 2.4.1 fixes the refund rounding bug; the canary has been green for an hour."
# A loaded machine may take a while to notice; the agent keeps waiting, 30 s per poll.
LONG_POLLS = 6


class Agent(threading.Thread):
    """The agent: reports its plan, asks to deploy, long-polls until decided."""

    def __init__(self, base_url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.base_url, self.key = base_url, key
        self.asked: dict = {}
        self.answer: dict = {}
        self.error: BaseException | None = None

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 10) -> dict:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def run(self) -> None:
        try:
            self.call(
                "POST",
                "/api/v1/events/",
                {
                    "type": "decision",
                    "trace_id": "run-77",
                    "span_id": "plan",
                    "name": "release.plan",
                    "rationale": "Canary green for 60 min; error rate 0.1%.",
                    "alternatives": [{"option": "wait"}, {"option": "deploy"}],
                    "chosen": "deploy",
                },
            )
            self.asked = self.call(
                "POST",
                "/api/v1/actions/",
                {
                    "action": "deploy",
                    "resource": "service:payments",
                    "params": {"version": "2.4.1", "replicas": 3},
                    "rationale": RATIONALE,
                    "trace_id": "run-77",
                    "span_id": "ask",
                },
            )
            answer = self.asked
            for _ in range(LONG_POLLS):
                if answer["decision"] != "pending":
                    break
                answer = self.call("GET", f"/api/v1/actions/{self.asked['id']}/?wait=30", timeout=60)
            self.answer = answer
        except BaseException as exc:  # the test thread reports it
            self.error = exc


@pytest.fixture
def fleet(roles):
    admin = UserFactory(username="ada", roles=["admin"])
    UserFactory(username="rita", first_name="Rita", last_name="Reviewer", roles=["reviewer"])
    agent = services.agent_register(
        actor=admin, slug="payments-bot", name="Payments bot", owner=admin, risk_tier="high"
    )
    services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
    _key, raw_key = services.agent_key_create(agent=agent, actor=admin, name="e2e")
    return raw_key


def badge(page):
    return page.locator("#pending-badge")


def test_reviewer_approves_a_high_risk_action_while_the_agent_waits(page, live_server, fleet):
    sign_in(page, "rita")
    expect(badge(page)).to_have_attribute("data-count", "0")
    nav(page, "Approvals").click()
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    queue = page.get_by_role("region", name="Pending requests")
    expect(queue).to_contain_text("Nothing waits for a reviewer")

    agent = Agent(live_server.url, fleet)
    agent.start()

    # No reload: the queue's htmx poll brings the row, and the nav badge with it.
    row = queue.get_by_role("row", name=re.compile("deploy"))
    expect(row).to_be_visible(timeout=30_000)
    assert agent.error is None, agent.error
    assert agent.asked["decision"] == "pending" and agent.asked["rule"] == "tier-default:high"
    expect(row).to_contain_text("payments-bot")
    expect(row).to_contain_text("service:payments")
    expect(row).to_contain_text("tier-default:high")
    expect(row).to_contain_text("0 of 1")
    expect(badge(page)).to_have_attribute("data-count", "1")
    expect(badge(page)).to_have_text("1 pending")
    page.screenshot(path=SCREENSHOTS["queue"], full_page=True)

    row.get_by_role("link", name="Review deploy on service:payments by payments-bot").click()
    expect(page.get_by_role("region", name="The agent's rationale")).to_contain_text(RATIONALE)
    expect(page.get_by_role("region", name="The request")).to_contain_text('"version": "2.4.1"')
    trace = page.get_by_role("region", name="Decision trace")
    expect(trace).to_contain_text("release.plan")
    expect(trace).to_contain_text("Canary green for 60 min")
    expect(trace).to_contain_text("action.escalated")
    expect(trace.get_by_role("link", name="Open the trace")).to_have_attribute(
        "href", "/audit/traces/run-77/"
    )
    page.screenshot(path=SCREENSHOTS["review"], full_page=True)

    approve = page.get_by_role("form", name="Approve")
    approve.get_by_label("Comment", exact=True).fill("Canary looks healthy; go.")
    approve.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_contain_text("The agent is told allow.")
    expect(page.get_by_role("region", name=re.compile("Approved: the agent was told allow"))).to_contain_text(
        "Canary looks healthy; go."
    )
    expect(badge(page)).to_have_attribute("data-count", "0")
    page.screenshot(path=SCREENSHOTS["approved"], full_page=True)

    agent.join(timeout=60)
    assert not agent.is_alive(), "the agent's long-poll did not return"
    assert agent.error is None, agent.error
    assert agent.answer["decision"] == "allow"
    assert agent.answer["decided_by"] == "rita"
    assert agent.answer["comment"] == "Canary looks healthy; go."

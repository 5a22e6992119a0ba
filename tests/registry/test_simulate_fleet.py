"""`manage.py simulate_fleet`: demo agents through the SDK against a live agentgov."""

import time
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from agentgov.client import Client
from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.simulator.agent import Settings, SimulatedAgent
from apps.registry.simulator.keys import KEY_NAME, simulator_key
from apps.registry.simulator.profiles import DRIFT_TOOL, profile_for


@pytest.fixture
def demo_agents(admin):
    agents = []
    for slug, tier, tools in (
        ("support-concierge", "low", ["zendesk.reply", "kb.search"]),
        ("refund-agent", "high", ["zendesk.read", "stripe.refund"]),
    ):
        agent = services.agent_register(actor=admin, slug=slug, name=slug, owner=admin, risk_tier=tier)
        agents.append(
            services.agent_deploy(
                agent=agent, actor=admin, version="1.0.0", model="gpt-4.1", declared_tools=tools
            )
        )
    return agents


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a dozen threads at once on the live server's one shared in-memory SQLite connection",
)
def test_the_fleet_reports_runs_heartbeats_and_one_agent_drifts(live_server, demo_agents):
    out = StringIO()
    call_command(
        "simulate_fleet",
        base_url=live_server.url,
        duration=6,
        drift_after=2,
        pace=0.02,
        wait_timeout=1,
        heartbeat_interval=1,
        report_every=3,
        seed=7,
        stdout=out,
    )
    concierge, refunds = demo_agents
    for agent in demo_agents:
        kinds = set(AuditEvent.objects.filter(agent=agent, actor_type="agent").values_list("type", flat=True))
        assert {"action", "decision", "tool_call", "message"} <= kinds, agent.slug
        assert chains_verify(agent=agent).ok
    used = set(AuditEvent.objects.filter(agent=concierge, type="tool_call").values_list("name", flat=True))
    assert DRIFT_TOOL in used  # the drifting agent's new tool
    assert DRIFT_TOOL not in set(
        AuditEvent.objects.filter(agent=refunds, type="tool_call").values_list("name", flat=True)
    )
    assert "DRIFTING" in out.getvalue()
    # Drift counts each distinct action or tool name as a tool: names must repeat across runs,
    # or every simulated agent would look like it "started calling" something new.
    names = AuditEvent.objects.filter(agent=refunds, type__in=["action", "tool_call"])
    assert not [name for name in names.values_list("name", flat=True).distinct() if "#" in name]
    assert concierge.keys.filter(name=KEY_NAME).exists()


def test_a_restart_rotates_the_simulator_key(demo_agents):
    agent = demo_agents[0]
    first = simulator_key(agent)
    second = simulator_key(agent)
    assert first != second
    keys = list(agent.keys.filter(name=KEY_NAME).order_by("created_at"))
    assert len(keys) == 2 and keys[0].revoked_at is not None and keys[1].is_usable


def test_keys_are_issued_by_someone_allowed_to_not_by_a_viewer_who_owns_the_agent(admin, make_user):
    viewer = make_user("viewer")
    agent = services.agent_register(
        actor=admin, slug="docs-bot", name="Docs bot", owner=viewer, risk_tier="low"
    )
    simulator_key(agent)
    simulator_key(agent)  # a restart rotates
    assert set(agent.keys.values_list("created_by", flat=True)) == {admin.pk}
    actors = set(AuditEvent.objects.filter(name__startswith="key.").values_list("actor_label", flat=True))
    assert actors == {admin.get_username()}


def test_it_says_what_to_do_when_there_is_no_fleet(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("simulate_fleet", duration=1)


def test_a_waiting_demo_agent_is_unblocked_when_a_person_approves(live_server, demo_agents, api_as):
    """Runs once apps/governance (issue 4) is merged: refund-agent (high tier) asks before a
    refund, waits in the queue, and goes on once a reviewer approves."""
    pytest.importorskip("apps.governance.api")
    refunds = demo_agents[1]
    client = Client(live_server.url, simulator_key(refunds), flush_interval=0.05)
    profile = replace(profile_for(refunds.slug, []), risky_share=1.0, runs_per_minute=60)
    agent = SimulatedAgent(refunds.slug, client, profile, Settings(pace=0, wait_timeout=120), seed=3)
    agent.start()
    try:
        reviewer = api_as("reviewer")
        deadline = time.monotonic() + 60
        pending = []
        while not pending and time.monotonic() < deadline:
            answer = reviewer.get("/api/v1/approvals/", {"status": "pending"}).json()
            pending = answer["results"] if isinstance(answer, dict) else answer
            time.sleep(0.2)
        assert pending and agent.tally.waiting == 1 and agent.tally.allowed == 0
        reviewer.post(f"/api/v1/approvals/{pending[0]['id']}/approve/", {"comment": "ok"}, format="json")
        while agent.tally.allowed == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert agent.tally.allowed >= 1
    finally:
        agent.stop.set()
        agent.join(timeout=5)
        client.close(timeout=10)

"""The SDK example in the README runs as written against a live agentgov."""

import re
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from agentgov.client import AgentgovError
from apps.audit.models import AuditEvent
from apps.registry import services

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    section = README.read_text().split("## Connect an agent", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def routed(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def test_the_readme_sdk_example_records_its_run(live_server, admin):
    # A low-tier agent: its deploy is allowed at once by the tier default, no person needed.
    agent = services.agent_register(actor=admin, slug="ci-bot", name="CI bot", owner=admin, risk_tier="low")
    services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
    key = services.agent_key_create(agent=agent, actor=admin)[1]
    code = readme_example().replace("http://127.0.0.1:8000", live_server.url).replace("agk_...", key)
    namespace: dict = {}
    if routed("/api/v1/actions/"):
        exec(code, namespace)
    else:  # until governance is merged, the deploy's question gets a 404
        with pytest.raises(AgentgovError, match="HTTP 404"):
            exec(code, namespace)
    client = namespace["client"]
    client.close(timeout=30)
    assert client.stats.sent == 3  # the run, its decision and its span
    run = AuditEvent.objects.get(agent=agent, name="handle ticket")
    assert run.attributes["ticket"] == 4812
    decision = AuditEvent.objects.get(agent=agent, type="decision")
    span = AuditEvent.objects.get(agent=agent, name="run tests")
    assert decision.trace_id == span.trace_id == run.trace_id
    assert span.parent_span_id == decision.span_id == run.span_id
    assert span.output == {"passed": 212}

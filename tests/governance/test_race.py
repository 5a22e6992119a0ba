"""Concurrent reviewers on one request: exactly one transition, decided in PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from agentgov.errors import ConflictError
from apps.audit.models import AuditEvent
from apps.governance import services
from apps.governance.models import ActionRequest, Approval
from apps.registry.models import AgentStatus
from tests.factories import AgentFactory, UserFactory

# The in-memory SQLite test database refuses concurrent writers outright ("table is locked").
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="races are decided by PostgreSQL")
CALLS = 100
# Threads at once: the PostgreSQL server is shared (max_connections 100) with other work.
THREADS = 25


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_approve_and_reject_calls_make_exactly_one_transition():
    agent = AgentFactory(slug="racy-bot", risk_tier="high", status=AgentStatus.ACTIVE)
    reviewers = [UserFactory(username=f"racer{i}", roles=("reviewer",)) for i in range(CALLS)]
    request = services.action_request(actor=agent, action="deploy", resource="service:x", params={})
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def decide(i: int) -> str:
        if i < THREADS:
            start.wait(timeout=60)  # the first wave starts together
        try:
            services.approval_decide(
                request=ActionRequest.objects.get(pk=request.pk),
                actor=reviewers[i],
                approve=i % 2 == 0,
                comment=f"verdict {i}",
            )
            return "decided"
        except ConflictError:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(decide, range(CALLS)))

    request.refresh_from_db()
    assert outcomes.count("decided") == 1, outcomes
    assert outcomes.count("conflict") == CALLS - 1
    assert request.status in ("approved", "rejected")
    assert Approval.objects.filter(request=request).count() == 1
    finals = AuditEvent.objects.filter(
        action_id=str(request.uuid), name__in=["approval.approved", "approval.rejected"]
    )
    assert finals.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_overrun_a_rate_limit():
    agent = AgentFactory(slug="busy-bot", risk_tier="low", status=AgentStatus.ACTIVE)
    admin = UserFactory(username="limits-admin", roles=("admin",))
    services.agent_limits_set(
        agent=agent, actor=admin, rate_limits=[{"action": "*", "max": 5, "per": "minute"}]
    )
    start = threading.Barrier(20)

    def one(i: int) -> str:
        start.wait(timeout=60)
        try:
            return services.action_request(actor=agent, action="deploy", resource=f"svc:{i}").decision
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        decisions = list(pool.map(one, range(20)))
    assert decisions.count("allow") == 5
    assert decisions.count("deny") == 15

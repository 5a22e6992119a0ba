"""Benchmark of threshold rules: one evaluation tick over a busy hour; run through `make bench`.

Every rule is measured with aggregates in the database (a p95 is one ORDER BY ... OFFSET
row), so a tick costs queries, not Python over events. PostgreSQL only: the events are
copied in SQL from one template row per agent.
"""

import os
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from apps.accounts.services import user_create
from apps.alerts.models import AlertRule, RuleMetric
from apps.alerts.services.rules import rules_evaluate
from apps.audit.models import ActorType, AuditEvent, EventType
from apps.registry.models import Agent

EVENTS = int(os.environ.get("BENCH_RULE_EVENTS", 500_000))
AGENTS = 50
FAKE_HASH = "f" * 64


def _seed(admin) -> list[Agent]:
    agents = [
        Agent.objects.create(slug=f"rules-bench-{i}", name=f"bench {i}", owner=admin, created_by=admin)
        for i in range(AGENTS)
    ]
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            type=EventType.TOOL_CALL,
            name="search",
            actor_type=ActorType.SYSTEM,
            actor_label="bench",
            agent=agent,
            occurred_at=now - timedelta(minutes=30),
            cost_usd="0.002",
            seq=1,
            prev_hash=FAKE_HASH,
            hash=FAKE_HASH,
        )
        for agent in agents
    )
    copied = [
        f.column
        for f in AuditEvent._meta.concrete_fields
        if f.column not in ("id", "uuid", "occurred_at", "recorded_at", "seq", "duration_ms", "status")
    ]
    listed = ", ".join(copied)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO audit_auditevent (uuid, occurred_at, recorded_at, seq, duration_ms, status, {listed})
            SELECT gen_random_uuid(), now() - random() * interval '55 minutes', now(), t.seq + g.n,
                   random() * 2000, CASE WHEN random() < 0.05 THEN 'error' ELSE 'ok' END, {listed}
            FROM audit_auditevent t CROSS JOIN generate_series(1, %s) AS g(n)
            WHERE t.agent_id = ANY(%s) AND t.seq = 1
            """,
            [EVENTS // AGENTS, [agent.pk for agent in agents]],
        )
        cursor.execute("ANALYZE audit_auditevent")
    return agents


def report() -> None:
    if connection.vendor != "postgresql":
        print("alert rules: skipped (PostgreSQL only)")
        return
    admin = user_create(actor=None, username="rules-bench", roles=["admin"])
    agents = _seed(admin)
    for metric in RuleMetric.values:
        AlertRule.objects.create(name=f"fleet {metric}", metric=metric, threshold=1e12, window_minutes=60)
        for agent in agents:
            AlertRule.objects.create(
                name=f"{agent.slug} {metric}", metric=metric, agent=agent, threshold=1e12, window_minutes=60
            )
    rules = AlertRule.objects.count()
    started = time.perf_counter()
    evaluated = rules_evaluate()
    elapsed = time.perf_counter() - started
    assert evaluated == rules
    print(f"\nAlert rules: one tick over {EVENTS:,} events in the last hour, {AGENTS} agents")
    print(f"{'rules':>8} {'seconds':>9} {'ms/rule':>9}")
    print(f"{rules:>8} {elapsed:>9.2f} {1000 * elapsed / rules:>9.1f}")

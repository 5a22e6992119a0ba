"""Monitoring at fleet scale on PostgreSQL: a drift sweep over 1,000 agents and 1M events
(target < 10 s, < 1 GB), and a health sweep over 10,000 agents (target < 2 s).

Data is generated inside PostgreSQL (INSERT ... SELECT over generate_series), so setting
up a million events takes seconds, not an ingestion run. Run through `make bench`, or
alone with `python -m tests.perf monitoring`."""

import multiprocessing
import resource
import time
from datetime import timedelta

from django.db import connection, connections
from django.utils import timezone

from apps.accounts.services import user_create
from apps.audit.models import AuditEvent
from apps.monitoring.drift.check import drift_check
from apps.monitoring.health import health_sweep
from apps.monitoring.models import AgentMonitor, HealthState
from apps.monitoring.services import heartbeat_record
from apps.registry.models import Agent, AgentStatus, RiskTier
from tests.perf.tables import print_table

DRIFT_AGENTS = 1_000
EVENTS = 1_000_000
HEALTH_AGENTS = 10_000
DOWN_SHARE = 0.01  # agents whose heartbeat stopped before the timed health sweep
HEARTBEATS = 2_000

# Every 10th agent changes in the last day: a new tool, more errors, slower.
EVENTS_SQL = f"""
INSERT INTO audit_auditevent (
    uuid, occurred_at, recorded_at, type, name, status, actor_type, actor_agent_id, actor_label,
    agent_id, resource, rationale, data, client_id, content_hash, trace_id, span_id, parent_span_id,
    duration_ms, cost_usd, tokens_in, tokens_out, chosen, action_id, attributes, redactions,
    seq, prev_hash, hash
)
SELECT gen_random_uuid(), e.at, now(), e.type,
       CASE WHEN e.changed THEN (ARRAY['tool.a','tool.b','tool.c','shell.exec'])[1 + floor(random() * 4)::int]
            WHEN e.type = 'decision' THEN 'plan'
            ELSE (ARRAY['tool.a','tool.b','tool.c','tool.d','tool.e'])[1 + floor(random() * 5)::int] END,
       CASE WHEN random() < (CASE WHEN e.changed THEN 0.15 ELSE 0.03 END) THEN 'error'
            WHEN random() < 0.01 THEN 'denied' ELSE 'ok' END,
       'agent', e.agent_id, 'agent:bench', e.agent_id, '', '', '{{}}'::jsonb, '', '', '', '', '',
       (exp(5.3 + random()) * CASE WHEN e.changed THEN 3 ELSE 1 END),
       CASE WHEN e.type = 'decision' THEN round((random() * 0.02)::numeric, 6) END,
       CASE WHEN e.type = 'decision' THEN 500 + floor(random() * 3000)::int END,
       CASE WHEN e.type = 'decision' THEN 50 + floor(random() * 300)::int END,
       '', '', '{{}}'::jsonb, '[]'::jsonb, e.g, '', ''
FROM (
    SELECT g, %(first_agent)s + (g %% {DRIFT_AGENTS}) AS agent_id,
           CASE WHEN g %% 4 = 0 THEN 'decision' ELSE 'tool_call' END AS type,
           at, ((g %% {DRIFT_AGENTS}) %% 10 = 0 AND at > now() - interval '24 hours') AS changed
    FROM (SELECT g, now() - random() * interval '8 days' AS at FROM generate_series(1, {EVENTS}) g) s
) e
"""


def _agents(owner, n: int, prefix: str) -> list[Agent]:
    now = timezone.now()
    Agent.objects.bulk_create(
        [
            Agent(
                slug=f"{prefix}-{i}",
                name=f"{prefix} {i}",
                owner=owner,
                created_by=owner,
                risk_tier=RiskTier.MEDIUM,
                status=AgentStatus.ACTIVE,
                status_changed_at=now,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    return list(Agent.objects.filter(slug__startswith=f"{prefix}-").order_by("pk"))


def _in_child(function):
    """Run `function` in a forked process with its own database connection; returns its
    result, seconds taken and peak RSS in MiB (ru_maxrss of that process, Django included)."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()

    def child():
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        child_end.send((result, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        connections.close_all()

    process = context.Process(target=child)
    process.start()
    answer = parent_end.recv()
    process.join()
    return answer


def _drift(owner) -> list[tuple[str, str]]:
    agents = _agents(owner, DRIFT_AGENTS, "drift")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_SQL, {"first_agent": agents[0].pk})
        cursor.execute("ANALYZE audit_auditevent")
    generated = time.perf_counter() - start
    stored = AuditEvent.objects.filter(agent_id__gte=agents[0].pk).count()
    # The first run creates the monitors and fires an alert per drifting agent; the second
    # is the steady state of an hourly check (the same agents still drifting, no new alert).
    first_id, first_elapsed, _ = _in_child(lambda: drift_check().pk)
    run_id, elapsed, peak = _in_child(lambda: drift_check().pk)
    from apps.monitoring.models import DriftRun

    run = DriftRun.objects.get(pk=run_id)
    unchanged = [
        metric["metric"]
        for report in run.reports.filter(verdict="drift").select_related("agent")
        if int(report.agent.slug.split("-")[1]) % 10
        for metric in report.drifting_metrics
    ]
    return [
        ("events generated (generate_series)", f"{stored:,} in {generated:.1f} s"),
        (f"drift sweep, {DRIFT_AGENTS:,} agents, first run", f"{first_elapsed:.2f} s"),
        (
            f"  (monitors created, {DriftRun.objects.get(pk=first_id).agents_drifting} alerts fired)",
            "",
        ),
        (f"drift sweep, {DRIFT_AGENTS:,} agents, next run", f"{elapsed:.2f} s"),
        ("  peak RSS of the sweeping process", f"{peak:,.0f} MiB"),
        ("  agents drifting (every 10th changed)", f"{run.agents_drifting:,} of {run.agents_checked:,}"),
        ("  drifting metrics of unchanged agents", ", ".join(sorted(unchanged)) or "none"),
    ]


def _health(owner) -> list[tuple[str, str]]:
    agents = _agents(owner, HEALTH_AGENTS, "health")
    now = timezone.now()
    health_sweep(now=now)  # creates the monitors: all never seen
    silent = set(a.pk for a in agents[:: int(1 / DOWN_SHARE)])
    start = time.perf_counter()
    for agent in agents[:HEARTBEATS]:
        heartbeat_record(agent=agent, now=now)
    per_beat = (time.perf_counter() - start) / HEARTBEATS
    AgentMonitor.objects.filter(agent__slug__startswith="health-").update(
        last_heartbeat_at=now,
        late_at=now + timedelta(minutes=10),
        down_at=now + timedelta(minutes=20),
        state=HealthState.UP,
    )
    AgentMonitor.objects.filter(agent_id__in=silent).update(
        last_heartbeat_at=now - timedelta(hours=1),
        late_at=now - timedelta(minutes=50),
        down_at=now - timedelta(minutes=40),
    )
    changes, elapsed, _ = _in_child(lambda: len(health_sweep(now=now).changes))
    steady, elapsed_steady, _ = _in_child(lambda: len(health_sweep(now=now).changes))
    return [
        ("heartbeat (one UPDATE)", f"{per_beat * 1000:.2f} ms each, {HEARTBEATS:,} in a row"),
        (f"health sweep, {HEALTH_AGENTS:,} agents, {changes} go down", f"{elapsed:.2f} s"),
        (f"health sweep, {HEALTH_AGENTS:,} agents, {steady} changes", f"{elapsed_steady:.2f} s"),
    ]


def measure() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return [("monitoring benchmark", "skipped: needs DATABASE_URL to PostgreSQL")]
    owner = user_create(actor=None, username="bench-monitoring", roles=["admin"])
    rows = _health(owner)
    # The drift sweep covers active agents: only its own 1,000.
    Agent.objects.filter(slug__startswith="health-").update(status=AgentStatus.RETIRED)
    return rows + _drift(owner)


def report() -> None:
    rows = measure()
    print_table(f"Monitoring sweeps on {connection.vendor} (2 shared cores; other work may run beside)", rows)

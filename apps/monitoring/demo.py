"""Monitoring for the demo fleet, so health, drift and alerts are alive on first run:

- `code-review-assistant` is busy, and a version deployed three days ago changed it: it
  merges pull requests itself now, asks for changes three times as often, fails and is
  denied more, and is slower and dearer. Its drift baseline is pinned to the week before
  that deploy, and the drift check catches it.
- `refund-agent` stopped sending heartbeats three hours ago: the health sweep finds it down.
- every other active agent beats; their interval is six hours in the demo, so nobody has
  to keep a fake agent running for the overview to stay green.

Idempotent: events and the deploy are seeded once; heartbeats are refreshed and a health
sweep and a drift check run at every call.
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from apps.audit.ingest import events_ingest
from apps.audit.models import AuditEvent
from apps.monitoring.drift.check import drift_check
from apps.monitoring.health import health_sweep
from apps.monitoring.models import Baseline, DriftRun
from apps.monitoring.services import heartbeat_record, monitor_for, monitor_update
from apps.registry import services as registry
from apps.registry.models import Agent, AgentStatus, AgentVersion

DRIFTING = "code-review-assistant"
SILENT = "refund-agent"
DAYS = 30
RUNS_PER_DAY = 36
DEPLOYED_DAYS_AGO = 3
NEW_VERSION = "1.2.0"
HISTORY_DAYS = 14
HISTORY_STEP_HOURS = 12
BATCH = 500

# Tool weights, failure and denial shares, latency and token scale: before and after the deploy.
BEFORE = {
    "tools": {"github.read": 6, "github.comment": 3, "github.request_changes": 1},
    "failed": 0.03,
    "denied": 0.0,
    "latency": 5.3,
    "tokens": 1.0,
}
AFTER = {
    "tools": {"github.read": 4, "github.comment": 1, "github.request_changes": 3, "github.merge": 2},
    "failed": 0.15,
    "denied": 0.10,
    "latency": 6.4,
    "tokens": 2.2,
}


def _run(agent: Agent, run: int, when: datetime, profile: dict, rng: random.Random) -> list[dict]:
    trace = f"{agent.slug}-busy-{run}"
    scale = profile["tokens"]
    events = [
        {
            "id": f"mon-{agent.slug}-{run}-0",
            "type": "decision",
            "trace_id": trace,
            "span_id": "root",
            "name": "review plan",
            "occurred_at": when.isoformat(),
            "chosen": "review",
            "duration_ms": round(rng.lognormvariate(6.8, 0.4), 1),
            "tokens_in": int(rng.randint(900, 3000) * scale),
            "tokens_out": int(rng.randint(80, 300) * scale),
            "cost_usd": round(rng.uniform(0.004, 0.02) * scale, 6),
        }
    ]
    names, weights = zip(*profile["tools"].items(), strict=True)
    for step in range(1, rng.randint(3, 6)):
        when += timedelta(seconds=rng.randint(1, 20))
        draw = rng.random()
        status = (
            "denied"
            if draw < profile["denied"]
            else "error"
            if draw < profile["denied"] + profile["failed"]
            else "ok"
        )
        events.append(
            {
                "id": f"mon-{agent.slug}-{run}-{step}",
                "type": "tool_call",
                "trace_id": trace,
                "span_id": f"s{step}",
                "parent_span_id": "root",
                "name": rng.choices(names, weights)[0],
                "resource": f"github:acme/payments#{rng.randint(100, 999)}",
                "occurred_at": when.isoformat(),
                "status": status,
                "duration_ms": round(rng.lognormvariate(profile["latency"], 0.5), 1),
            }
        )
    return events


def _earlier_deploys(now: datetime) -> None:
    """The fleet's versions were deployed a moment ago by the registry seed, after the thirty
    days of events they produced: move each agent's deploys (in order, a week apart) to before
    that history, or the drift charts mark "deploy 1.0.0" now, after the 1.2.0 incident."""
    versions = AgentVersion.objects.filter(deployed_at__isnull=False).order_by("agent_id", "-deployed_at")
    rank: dict[int, int] = {}
    for version in versions:
        rank[version.agent_id] = rank.get(version.agent_id, 0) + 1
        when = now - timedelta(days=DAYS + 7 * rank[version.agent_id])
        AgentVersion.objects.filter(pk=version.pk).update(
            deployed_at=when, created_at=min(when, version.created_at)
        )


def _drift_incident(now: datetime) -> None:
    agent = Agent.objects.filter(slug=DRIFTING, status=AgentStatus.ACTIVE).first()
    if agent is None or agent.versions.filter(label=NEW_VERSION).exists():
        return
    _earlier_deploys(now)
    agent = registry.agent_deploy(
        agent=agent,
        actor=agent.owner,
        version=NEW_VERSION,
        model="gpt-4.1",
        declared_tools=["github.read", "github.comment", "github.request_changes", "github.merge"],
        changelog="Merges approved pull requests itself.",
        reason="faster reviews: merge when the checks pass",
    )
    deployed = now - timedelta(days=DEPLOYED_DAYS_AGO)
    # The demo's story needs the deploy in the past; the service stamps it now.
    AgentVersion.objects.filter(pk=agent.current_version_id).update(deployed_at=deployed)
    rng = random.Random(DRIFTING)
    events = []
    for run in range(DAYS * RUNS_PER_DAY):
        when = (
            now - timedelta(days=DAYS) + timedelta(minutes=run * 24 * 60 / RUNS_PER_DAY + rng.randint(0, 30))
        )
        when = min(when, now - timedelta(minutes=5))
        events += _run(agent, run, when, AFTER if when >= deployed else BEFORE, rng)
    for start in range(0, len(events), BATCH):
        events_ingest(agent=agent, body={"events": events[start : start + BATCH]})


def _heartbeats(now: datetime) -> None:
    for agent in Agent.objects.filter(status=AgentStatus.ACTIVE).select_related("owner"):
        monitor = monitor_for(agent)
        if agent.slug == SILENT:
            heartbeat_record(agent=agent, message="refund queue drained", now=now - timedelta(hours=3))
            continue
        if monitor.interval < timedelta(hours=6):
            # Its drift is judged against the week before its deploy: did the deploy change it?
            pinned = {"drift_baseline": Baseline.DEPLOY} if agent.slug == DRIFTING else {}
            monitor_update(
                actor=agent.owner,
                agent=agent,
                interval=timedelta(hours=6),
                grace=timedelta(hours=6),
                reason="demo: beats a few times a day",
                **pinned,
            )
        heartbeat_record(agent=agent, message="all good", metrics={"queue_depth": 3}, now=now)


def _drift_history(now: datetime) -> None:
    """Past drift runs (reports only, no alerts), so the charts over time have a story."""
    if DriftRun.objects.exists():
        return
    steps = HISTORY_DAYS * 24 // HISTORY_STEP_HOURS
    for step in range(steps, 0, -1):
        drift_check(now=now - timedelta(hours=step * HISTORY_STEP_HOURS), follow=False)


def monitoring_demo_seed(*, now: datetime | None = None) -> str:
    now = now or timezone.now()
    _drift_incident(now)
    _heartbeats(now)
    _drift_history(now)
    changes = health_sweep(now=now).changes
    run = drift_check(now=now)
    seeded = AuditEvent.objects.filter(client_id__startswith="mon-").count()
    return (
        f"{seeded} busy-agent events, {len(changes)} health changes, "
        f"{run.agents_drifting} of {run.agents_checked} agents drifting"
    )

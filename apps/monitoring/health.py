"""The health sweep: derive each active agent's state from its heartbeat times and its
recent events, and record every change (health event, audit event, alert).

States follow healthchecks.io: `up` until the expected interval has passed without a
heartbeat, then `late` for the grace time, then `down`; `never` before the first one.
`degraded` is an agent whose heartbeats are on time but whose recent events fail too
often or too slowly. Order of precedence: down, late, degraded, up / never.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.alerts.models import AlertKind, Severity
from apps.alerts.services import alert_fire, alert_resolve
from apps.audit.models import AuditEvent, EventStatus, EventType
from apps.audit.services import SYSTEM, record
from apps.monitoring.histograms import LATENCY
from apps.monitoring.models import AgentMonitor, HealthEvent, HealthState
from apps.monitoring.services import monitors_ensure
from apps.registry.models import Agent, AgentStatus

# What agents report about their own work; changes made through agentgov are not.
REPORTED_TYPES = (
    EventType.DECISION,
    EventType.TOOL_CALL,
    EventType.ACTION,
    EventType.MESSAGE,
    EventType.ERROR,
    EventType.LOG,
)


@dataclass
class SweepResult:
    checked: int = 0
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (slug, from, to)


def _recent_activity(now: datetime, agent_ids: list[int]) -> tuple[dict, dict]:
    """Per agent over the health window: (events, failed), and latency bucket counts."""
    since = now - timedelta(minutes=settings.MONITORING_HEALTH_WINDOW_MINUTES)
    recent = AuditEvent.objects.filter(occurred_at__gte=since, occurred_at__lte=now, type__in=REPORTED_TYPES)
    if len(agent_ids) < 1000:  # else every agent in the window is wanted anyway
        recent = recent.filter(agent_id__in=agent_ids)
    counts = {
        agent_id: (n, failed)
        for agent_id, n, failed in recent.exclude(agent=None)
        .values("agent_id")
        .annotate(n=Count("id"), failed=Count("id", filter=Q(status=EventStatus.ERROR)))
        .values_list("agent_id", "n", "failed")
    }
    buckets: dict[int, list[int]] = {}
    rows = (
        recent.filter(
            agent_id__in=[a for a, (n, _) in counts.items() if n >= settings.MONITORING_HEALTH_MIN_EVENTS]
        )
        .filter(LATENCY.present())
        .annotate(measured=LATENCY.value())
        .annotate(bucket=LATENCY.bucket())
        .values("agent_id", "bucket")
        .annotate(n=Count("id"))
        .values_list("agent_id", "bucket", "n")
    )
    for agent_id, bucket, n in rows:
        buckets.setdefault(agent_id, [0] * len(LATENCY.edges))[bucket] += n
    return counts, buckets


def degraded_reason(
    *, events: int, failed: int, latency: list[int] | None, error_rate_max: float, p95_max_ms: float
) -> str:
    """Why recent events make the agent degraded, or "" when they do not (or are too few)."""
    if events < settings.MONITORING_HEALTH_MIN_EVENTS:
        return ""
    if failed / events > error_rate_max:
        return f"{failed} of its last {events} events failed ({failed / events:.0%}, threshold {error_rate_max:.0%})"
    p95 = LATENCY.quantile(latency, 0.95) if latency else None
    if p95 is not None and p95 > p95_max_ms:
        return (
            f"p95 latency of recent events is {LATENCY.format(p95)} (threshold {LATENCY.format(p95_max_ms)})"
        )
    return ""


def derive_state(
    *, now: datetime, last_heartbeat_at, late_at, down_at, degraded: str
) -> tuple[HealthState, str]:
    if last_heartbeat_at is not None and now >= down_at:
        return HealthState.DOWN, f"no heartbeat since {last_heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
    if last_heartbeat_at is not None and now >= late_at:
        return HealthState.LATE, f"heartbeat expected by {late_at:%H:%M:%S} UTC"
    if degraded:
        return HealthState.DEGRADED, degraded
    if last_heartbeat_at is None:
        return HealthState.NEVER, "no heartbeat received yet"
    return HealthState.UP, "heartbeats on time"


def health_sweep(*, now: datetime | None = None) -> SweepResult:
    """Check every active agent once; returns what changed. Safe to run twice: a change is
    applied only by the run whose conditional UPDATE still finds the old state."""
    now = now or timezone.now()
    monitors_ensure()
    rows = list(
        AgentMonitor.objects.filter(agent__status=AgentStatus.ACTIVE).values_list(
            "agent_id",
            "state",
            "last_heartbeat_at",
            "late_at",
            "down_at",
            "error_rate_threshold",
            "p95_latency_ms_threshold",
        )
    )
    counts, buckets = _recent_activity(now, [row[0] for row in rows])
    changes = []
    for agent_id, state, last_at, late_at, down_at, rate_max, p95_max in rows:
        events, failed = counts.get(agent_id, (0, 0))
        degraded = degraded_reason(
            events=events,
            failed=failed,
            latency=buckets.get(agent_id),
            error_rate_max=rate_max or settings.MONITORING_ERROR_RATE_THRESHOLD,
            p95_max_ms=p95_max or settings.MONITORING_P95_LATENCY_MS_THRESHOLD,
        )
        new, reason = derive_state(
            now=now, last_heartbeat_at=last_at, late_at=late_at, down_at=down_at, degraded=degraded
        )
        if new != state:
            changes.append((agent_id, state, new, reason))
    changes += _unmonitored()
    result = SweepResult(checked=len(rows))
    agents = Agent.objects.in_bulk([agent_id for agent_id, *_ in changes])
    for agent_id, old, new, reason in changes:
        if health_change_apply(agent=agents[agent_id], old=old, new=new, reason=reason, now=now):
            result.changes.append((agents[agent_id].slug, old, new))
    return result


def _unmonitored() -> list[tuple[int, str, str, str]]:
    """Agents no longer active (paused, quarantined, retired) are not watched: their state
    returns to never seen, which resolves their alerts; if they come back and stay silent,
    the sweep finds them down again and alerts anew."""
    rows = (
        AgentMonitor.objects.exclude(agent__status=AgentStatus.ACTIVE)
        .exclude(state=HealthState.NEVER)
        .values_list("agent_id", "state", "agent__status")
    )
    return [
        (agent_id, state, HealthState.NEVER, f"not monitored while {status}")
        for agent_id, state, status in rows
    ]


@transaction.atomic
def health_change_apply(*, agent: Agent, old: str, new: str, reason: str, now: datetime) -> bool:
    """Move the agent from `old` to `new`: the monitor row, a health event, an audit event
    and the alerts, together. False (and nothing written) if another run moved it first."""
    moved = AgentMonitor.objects.filter(agent=agent, state=old).update(
        state=new, state_changed_at=now, state_reason=reason[:300]
    )
    if moved != 1:
        return False
    HealthEvent.objects.create(agent=agent, at=now, from_state=old, to_state=new, reason=reason[:300])
    record(
        actor=SYSTEM,
        type=EventType.CHANGE,
        name=f"agent.health_{new}",
        agent=agent,
        resource=agent.resource_name,
        rationale=reason,
        data={"from": old, "to": new},
        occurred_at=now,
    )
    _alerts_follow(agent, old, new, reason)
    return True


def _alerts_follow(agent: Agent, old: str, new: str, reason: str) -> None:
    label = HealthState(new).label.lower()
    if old == HealthState.DOWN:
        alert_resolve(fingerprint=f"agent_down:{agent.slug}")
    if old == HealthState.DEGRADED:
        alert_resolve(fingerprint=f"agent_degraded:{agent.slug}")
    if new == HealthState.DOWN:
        alert_fire(
            fingerprint=f"agent_down:{agent.slug}",
            kind=AlertKind.AGENT_DOWN,
            severity=Severity.CRITICAL,
            title=f"{agent.name} is {label}",
            summary=reason,
            agent=agent,
            details={"state": new},
        )
    elif new == HealthState.DEGRADED:
        alert_fire(
            fingerprint=f"agent_degraded:{agent.slug}",
            kind=AlertKind.AGENT_DEGRADED,
            severity=Severity.WARNING,
            title=f"{agent.name} is {label}",
            summary=reason,
            agent=agent,
            details={"state": new},
        )

"""Writes of monitoring that are not sweeps: heartbeats, an agent's monitoring settings,
and the sweep clocks that make a duplicated beat tick do nothing."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.utils import timezone

from agentgov.errors import ApplicationError
from apps.audit.models import EventType
from apps.audit.services import record
from apps.monitoring.models import AgentMonitor, Baseline, SweepClock
from apps.registry.models import Agent, AgentStatus

HEARTBEAT_STATUSES = ("ok", "warning", "error")
SETTINGS_FIELDS = (
    "interval",
    "grace",
    "error_rate_threshold",
    "p95_latency_ms_threshold",
    "drift_baseline",
    "drift_thresholds",
)
MAX_METRICS = 50


def monitor_defaults(agent: Agent) -> dict[str, Any]:
    interval, grace = settings.MONITORING_HEARTBEAT_DEFAULTS[agent.risk_tier]
    return {"interval": timedelta(seconds=interval), "grace": timedelta(seconds=grace)}


def monitor_for(agent: Agent) -> AgentMonitor:
    """The agent's monitor, created with its tier's defaults on first use."""
    monitor = AgentMonitor.objects.filter(agent=agent).first()
    if monitor is None:
        try:
            with transaction.atomic():
                monitor = AgentMonitor.objects.create(agent=agent, **monitor_defaults(agent))
        except IntegrityError:  # created meanwhile by a heartbeat or the sweep
            monitor = AgentMonitor.objects.get(agent=agent)
    return monitor


def monitors_ensure() -> int:
    """Give every active agent without a monitor one ("never seen"); returns how many."""
    missing = list(Agent.objects.filter(status=AgentStatus.ACTIVE, monitor__isnull=True))
    AgentMonitor.objects.bulk_create(
        [AgentMonitor(agent=agent, **monitor_defaults(agent)) for agent in missing], ignore_conflicts=True
    )
    return len(missing)


def _validate_heartbeat(status: str, message: str, metrics: dict) -> None:
    if status and status not in HEARTBEAT_STATUSES:
        raise ApplicationError(f"status is one of {', '.join(HEARTBEAT_STATUSES)}", field="status")
    if len(message) > 500:
        raise ApplicationError("message is at most 500 characters", field="message")
    if not isinstance(metrics, dict) or len(metrics) > MAX_METRICS:
        raise ApplicationError(f"metrics is an object of at most {MAX_METRICS} numbers", field="metrics")
    for name, value in metrics.items():
        if len(name) > 64 or isinstance(value, bool) or not isinstance(value, int | float):
            raise ApplicationError(
                f"metric {name[:64]!r} must be a number under a short name", field="metrics"
            )


def heartbeat_record(
    *,
    agent: Agent,
    status: str = "",
    message: str = "",
    metrics: dict | None = None,
    now: datetime | None = None,
) -> datetime:
    """Note that the agent is alive: one UPDATE of its monitor, no audit event (a busy
    fleet beats every minute). The health sweep turns what this row says into states,
    and audits every change of state."""
    metrics = metrics or {}
    _validate_heartbeat(status, message, metrics)
    now = now or timezone.now()
    moment = Value(now, output_field=DateTimeField())
    fields = {
        "last_heartbeat_at": now,
        "late_at": ExpressionWrapper(moment + F("interval"), output_field=DateTimeField()),
        "down_at": ExpressionWrapper(moment + F("interval") + F("grace"), output_field=DateTimeField()),
        "last_status": status or "ok",
        "last_message": message,
        "last_metrics": metrics,
    }
    if not AgentMonitor.objects.filter(agent_id=agent.pk).update(**fields):
        monitor_for(agent)
        AgentMonitor.objects.filter(agent_id=agent.pk).update(**fields)
    return now


def effective_drift_thresholds(monitor: AgentMonitor | None) -> dict[str, float]:
    overrides = monitor.drift_thresholds if monitor else {}
    return {**settings.MONITORING_DRIFT_THRESHOLDS, **(overrides or {})}


def _validate_settings(values: dict[str, Any]) -> None:
    for name in ("interval", "grace"):
        if values[name] < timedelta(seconds=10):
            raise ApplicationError(f"{name} must be at least 10 seconds", field=name)
    rate = values.get("error_rate_threshold")
    if rate is not None and not 0 < rate <= 1:
        raise ApplicationError(
            "the error rate threshold is a share between 0 and 1", field="error_rate_threshold"
        )
    p95 = values.get("p95_latency_ms_threshold")
    if p95 is not None and p95 <= 0:
        raise ApplicationError(
            "the p95 latency threshold is a positive number of ms", field="p95_latency_ms_threshold"
        )
    if values["drift_baseline"] not in Baseline.values:
        raise ApplicationError("unknown baseline", field="drift_baseline")
    for metric, threshold in values["drift_thresholds"].items():
        if metric not in settings.MONITORING_DRIFT_THRESHOLDS:
            raise ApplicationError(f"unknown drift metric {metric!r}", field="drift_thresholds")
        if threshold is None or threshold < 0:
            raise ApplicationError(f"the {metric} threshold must be 0 or more", field="drift_thresholds")


@transaction.atomic
def monitor_update(*, actor, agent: Agent, reason: str = "", **values: Any) -> AgentMonitor:
    """Change how an agent is monitored; audited with the fields that changed."""
    monitor = AgentMonitor.objects.select_for_update().get(pk=monitor_for(agent).pk)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"not a monitoring setting: {', '.join(sorted(unknown))}")
    current = {name: getattr(monitor, name) for name in SETTINGS_FIELDS}
    _validate_settings({**current, **values})
    changed = {name: value for name, value in values.items() if current[name] != value}
    if not changed:
        return monitor
    for name, value in changed.items():
        setattr(monitor, name, value)
    if monitor.last_heartbeat_at and {"interval", "grace"} & changed.keys():
        monitor.late_at = monitor.last_heartbeat_at + monitor.interval
        monitor.down_at = monitor.late_at + monitor.grace
    monitor.save()
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="agent.monitoring_changed",
        agent=agent,
        resource=agent.resource_name,
        rationale=reason,
        data={
            name: (value.total_seconds() if isinstance(value, timedelta) else value)
            for name, value in changed.items()
        },
    )
    return monitor


def sweep_claim(name: str, *, spacing_seconds: int, now: datetime | None = None) -> bool:
    """Claim the sweep `name` for a run now; False when a run started under
    `spacing_seconds` ago (a duplicated or redelivered tick), so it does nothing twice."""
    now = now or timezone.now()
    SweepClock.objects.get_or_create(name=name, defaults={"next_run_at": now})
    claimed = SweepClock.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + timedelta(seconds=spacing_seconds), last_started_at=now
    )
    return claimed == 1

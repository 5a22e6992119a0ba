"""Reads of monitoring worth naming: what the pages and charts show."""

from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.monitoring.health import REPORTED_TYPES
from apps.monitoring.models import AgentMonitor, DriftReport, DriftRun, DriftVerdict, HealthEvent, HealthState
from apps.registry.models import Agent, AgentStatus, AgentVersion


def fleet_health_counts() -> dict[str, int]:
    """Active agents per health state, every state present; an agent the sweep has not
    seen yet counts as never seen."""
    counts = dict(
        AgentMonitor.objects.filter(agent__status=AgentStatus.ACTIVE)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    unseen = Agent.objects.filter(status=AgentStatus.ACTIVE, monitor__isnull=True).count()
    counts[HealthState.NEVER] = counts.get(HealthState.NEVER, 0) + unseen
    return {state: counts.get(state, 0) for state in HealthState.values}


def latest_drift_run() -> DriftRun | None:
    return DriftRun.objects.filter(finished_at__isnull=False).order_by("-as_of", "-id").first()


def run_reports(run: DriftRun | None) -> QuerySet[DriftReport]:
    """A run's reports, most severe first."""
    if run is None:
        return DriftReport.objects.none()
    return run.reports.select_related("agent").defer("details").order_by("-severity", "agent__slug")


def drifting_reports(run: DriftRun | None, limit: int | None = None) -> list[DriftReport]:
    reports = run_reports(run).filter(verdict=DriftVerdict.DRIFT)
    return list(reports[:limit] if limit else reports)


def agent_reports(agent: Agent, *, days: int = 30) -> QuerySet[DriftReport]:
    """The agent's reports of the last `days`, oldest first, without the chart details."""
    since = timezone.now() - timedelta(days=days)
    return agent.drift_reports.filter(as_of__gte=since).order_by("as_of").only("as_of", "verdict", "metrics")


def agent_latest_report(agent: Agent) -> DriftReport | None:
    return agent.drift_reports.order_by("-as_of", "-id").first()


def agent_deploys(agent: Agent) -> list[tuple[datetime, str]]:
    return list(
        AgentVersion.objects.filter(agent=agent, deployed_at__isnull=False)
        .order_by("deployed_at")
        .values_list("deployed_at", "label")
    )


def agent_health_events(agent: Agent, limit: int = 20) -> QuerySet[HealthEvent]:
    return agent.health_events.order_by("-at", "-id")[:limit]


def events_per_hour(*, hours: int = 48, now: datetime | None = None) -> list[tuple[datetime, int]]:
    """Events agents reported per hour, counted by the database; empty hours included."""
    now = now or timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    counted = dict(
        AuditEvent.objects.filter(occurred_at__gte=start, type__in=REPORTED_TYPES)
        .order_by()
        .annotate(hour=TruncHour("occurred_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    return [(start + timedelta(hours=h), counted.get(start + timedelta(hours=h), 0)) for h in range(hours)]

"""The overview page, and honest placeholders for the areas later issues build."""

from dataclasses import dataclass

from django.shortcuts import render

from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.monitoring import charts as monitoring_charts
from apps.monitoring import overview as monitoring_overview
from apps.monitoring import selectors as monitoring
from apps.monitoring.models import HealthState
from apps.registry import selectors as registry
from apps.registry.models import AgentStatus, RiskTier

RECENT_CHANGES = 10
TOP_DRIFTING = 5


@dataclass(frozen=True)
class Area:
    title: str
    coming: str
    until_then: str
    overview_card: str = ""  # the overview's placeholder heading, if it has one


AREAS: dict[str, Area] = {
    "approvals": Area(
        "Approvals",
        "Actions that policies hold for a person's decision: what the agent asked to do, "
        "why, and who may approve or deny it, with a deadline.",
        "Nothing is held for approval yet: an agent's request is served or refused by its "
        "key and its lifecycle status alone.",
        "Pending approvals",
    ),
    "policies": Area(
        "Policies",
        "Rules that decide, per agent, tier or tool, whether an action is allowed, denied "
        "or held for approval, with limits and a simulator to test a rule before it applies.",
        "No policy is enforced yet beyond the lifecycle: quarantined, paused and retired "
        "agents are refused; registered and active agents are served.",
    ),
}


@require(Capability.VIEW)
def overview(request):
    statuses = registry.fleet_status_counts()
    tiers = registry.fleet_tier_counts()
    context = {
        "statuses": [(s, AgentStatus(s).label, n) for s, n in statuses.items()],
        "fleet_size": sum(statuses.values()),
        "tiers": [(t, RiskTier(t).label, n) for t, n in tiers.items()],
        "recent_changes": registry.recent_changes(RECENT_CHANGES),
        "health": [(s, HealthState(s).label, n) for s, n in monitoring.fleet_health_counts().items()],
        "top_drifting": monitoring.drifting_reports(monitoring.latest_drift_run(), TOP_DRIFTING),
        "events_chart": monitoring_charts.events_per_hour(monitoring.events_per_hour()),
        "firing_alerts": monitoring_overview.firing_alerts_count(),
        "pending_approvals": monitoring_overview.pending_approvals_count(),
    }
    return render(request, "overview.html", context)


@require(Capability.VIEW)
def area_not_built(request, area: str):
    return render(request, "not_built.html", {"area": AREAS[area], "area_key": area})

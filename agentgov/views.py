"""The overview page: the fleet at a glance."""

from django.shortcuts import render

from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.alerts import selectors as alerts
from apps.governance import selectors as governance
from apps.monitoring import charts as monitoring_charts
from apps.monitoring import selectors as monitoring
from apps.monitoring.models import HealthState
from apps.registry import selectors as registry
from apps.registry.models import AgentStatus, RiskTier

RECENT_CHANGES = 10
TOP_DRIFTING = 5


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
        "firing_alerts": alerts.firing_count(),
        "pending_approvals": governance.pending_count(),
    }
    return render(request, "overview.html", context)

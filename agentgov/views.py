"""The overview page, and honest placeholders for the areas later issues build."""

from dataclasses import dataclass

from django.shortcuts import render

from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.governance import selectors as governance
from apps.registry import selectors as registry
from apps.registry.models import AgentStatus, RiskTier

RECENT_CHANGES = 10


@dataclass(frozen=True)
class Area:
    title: str
    coming: str
    until_then: str
    overview_card: str = ""  # the overview's placeholder heading, if it has one


AREAS: dict[str, Area] = {
    "drift": Area(
        "Drift",
        "How each agent's behaviour changes over time: error rates, tool use and decisions "
        "compared with its own baseline, charted per version.",
        "Audit events are recorded, but not yet analysed for drift.",
        "Drift",
    ),
    "alerts": Area(
        "Alerts",
        "Alerts that fire when a check fails or drift crosses a threshold, the channels "
        "they are sent to (email, webhook, chat) and silences.",
        "No alerts are raised yet. Watch the audit trail for changes in the meantime.",
        "Firing alerts",
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
        "areas": AREAS,
        "pending_approvals": governance.pending_count(),
    }
    return render(request, "overview.html", context)


@require(Capability.VIEW)
def area_not_built(request, area: str):
    return render(request, "not_built.html", {"area": AREAS[area], "area_key": area})

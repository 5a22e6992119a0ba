"""Reads only the governance pages need, next to `selectors` (which the API shares)."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from apps.governance import selectors
from apps.governance.models import ActionRequest, AgentLimits, PolicyVersion, RequestStatus, Verdict
from apps.governance.policy import policy_to_yaml
from apps.governance.services.limits import spent_today

SUGGESTIONS = 200


def open_queue(**filters: str) -> QuerySet[ActionRequest]:
    """The queue as the badge counts it: pending and not yet past expiry (the beat tick that
    denies an overdue request may be a minute behind). `rule` is an exact filter."""
    rule = filters.pop("rule", "")
    queue = selectors.pending_queue(**filters).filter(expires_at__gt=timezone.now())
    return queue.filter(rule=rule) if rule else queue


def recently_decided(limit: int = 10) -> list[ActionRequest]:
    """Escalated requests that are no longer pending (approved, rejected, expired), latest first."""
    return list(
        selectors.request_list()
        .filter(verdict=Verdict.ESCALATE)
        .exclude(status=RequestStatus.PENDING)
        .order_by("-decided_at", "-id")[:limit]
    )


def queue_choices() -> dict[str, list[str]]:
    """Agents and rules that have pending requests now, for the queue's filter lists."""
    pending = ActionRequest.objects.filter(status=RequestStatus.PENDING)
    return {
        "agents": list(
            pending.order_by("agent__slug").values_list("agent__slug", flat=True).distinct()[:SUGGESTIONS]
        ),
        "rules": list(pending.order_by("rule").values_list("rule", flat=True).distinct()[:SUGGESTIONS]),
    }


def _percentile(sorted_values: list[float], fraction: float) -> float:
    # Nearest rank: a reviewer reads "90% were decided within X", not an interpolation.
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


@dataclass
class DecisionTimes:
    p50: float | None
    p90: float | None


def decision_times(*, days: int = 30) -> DecisionTimes:
    """Median and 90th percentile of request → final decision over escalated requests
    decided by people in the last `days` (`selectors.approval_metrics` gives the median only)."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        ActionRequest.objects.filter(
            verdict=Verdict.ESCALATE,
            created_at__gte=since,
            status__in=(RequestStatus.APPROVED, RequestStatus.REJECTED),
            decided_at__isnull=False,
        )
        .order_by()
        .values_list("created_at", "decided_at")[:20000]
    )
    waits = sorted((done - asked).total_seconds() for asked, done in rows)
    if not waits:
        return DecisionTimes(None, None)
    return DecisionTimes(_percentile(waits, 0.5), _percentile(waits, 0.9))


@dataclass
class LimitsPanel:
    limits: AgentLimits | None
    spent_today: Decimal
    budget_used: int | None  # percent of the daily budget, for the meter


def limits_panel(agent) -> LimitsPanel:
    """An agent's limits and what it has spent today (UTC day, as the limits count it)."""
    limits = selectors.limits_of(agent)
    spent = spent_today(agent, timezone.now())
    used = None
    if limits is not None and limits.daily_budget:
        used = min(100, int(spent * 100 / limits.daily_budget))
    return LimitsPanel(limits=limits, spent_today=spent, budget_used=used)


def rule_definition(version: int | None, rule: str) -> str:
    """The YAML of the rule named `rule` in policy version `version`, or '' when the request
    was decided by something else (a tier default, a limit, a hold, the lifecycle)."""
    if version is None or not rule:
        return ""
    document = PolicyVersion.objects.filter(number=version).values_list("document", flat=True).first()
    for candidate in (document or {}).get("rules", []):
        if isinstance(candidate, dict) and candidate.get("name") == rule:
            # The document's own YAML layout, minus its `holds:` line.
            return policy_to_yaml({"rules": [candidate]}).split("rules:\n", 1)[1]
    return ""

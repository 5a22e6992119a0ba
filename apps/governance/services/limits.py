"""Per-agent blast-radius limits: setting them, and checking a request against them."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum

from agentgov.errors import ApplicationError, PermissionRefused
from apps.accounts.roles import Capability, user_can
from apps.audit.models import EventType
from apps.audit.services import record
from apps.governance.models import ActionRequest, AgentLimits, OverLimit, RateWindow, RequestStatus
from apps.governance.policy import glob_match, resolve

WINDOWS = {RateWindow.MINUTE: timedelta(minutes=1), RateWindow.HOUR: timedelta(hours=1)}
BUDGET_ALERT_RATIO = Decimal("0.8")
# Requests that no longer count toward rate or spend: they will not happen.
NOT_COUNTED = (RequestStatus.DENIED, RequestStatus.REJECTED, RequestStatus.EXPIRED)


@dataclass(frozen=True)
class LimitHit:
    rule: str  # limit:resource_scope | limit:rate | limit:budget
    reason: str
    deny: bool


def glob_sql_regex(pattern: str) -> str:
    """A glob as an anchored PostgreSQL/SQLite regular expression."""
    out = []
    for char in pattern:
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return "^" + "".join(out) + "$"


def spend_of(params: dict[str, Any], fields: list[str]) -> Decimal:
    """The sum of the numeric params named by the limits (dotted paths inside params)."""
    total = Decimal(0)
    for path in fields:
        value = resolve(params, path)
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                total += Decimal(str(value))
            except InvalidOperation:
                continue
    return total


def spent_today(agent, now: datetime) -> Decimal:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    spent = (
        ActionRequest.objects.filter(agent=agent, created_at__gte=midnight)
        .exclude(status__in=NOT_COUNTED)
        .aggregate(total=Sum("spend"))["total"]
    )
    return spent or Decimal(0)


def _usage(agent, rates: list[dict], budgeted: bool, now: datetime) -> dict:
    """What the matching rate limits (`rate_<i>`: requests in each one's window) and the
    budget (`spent`: today's spend) need to know, in one query: a decision is on every
    agent's hot path and already makes a dozen round trips."""
    aggregates, since = {}, []
    for index, limit in enumerate(rates):
        start = now - WINDOWS[limit["per"]]
        counted = Q(created_at__gt=start)
        if limit["action"] != "*":
            counted &= Q(action__regex=glob_sql_regex(limit["action"]))
        aggregates[f"rate_{index}"] = Count("pk", filter=counted)
        since.append(start)
    if budgeted:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)  # as spent_today counts
        aggregates["spent"] = Sum("spend", filter=Q(created_at__gte=midnight))
        since.append(midnight)
    return (
        ActionRequest.objects.filter(agent=agent, created_at__gte=min(since))
        .exclude(status__in=NOT_COUNTED)
        .aggregate(**aggregates)
    )


def limits_check(
    agent, limits: AgentLimits | None, *, action: str, resource: str, spend: Decimal, now: datetime
) -> LimitHit | None:
    """The first limit the request breaks, or None. Scope is always a deny; rate and budget
    follow the agent's over-limit mode. Calls alert_fire when spend crosses 80% of the budget."""
    if limits is None:
        return None
    patterns = limits.resource_patterns
    if patterns and not any(glob_match(p, resource) for p in patterns):
        return LimitHit(
            "limit:resource_scope",
            f"resource {resource!r} is outside {agent.slug}'s allowed resources ({', '.join(patterns)})",
            True,
        )
    deny = limits.over_limit == OverLimit.DENY
    rates = [limit for limit in limits.rate_limits if glob_match(limit["action"], action)]
    budgeted = limits.daily_budget is not None and spend > 0
    usage = _usage(agent, rates, budgeted, now) if rates or budgeted else {}
    for index, limit in enumerate(rates):
        if usage[f"rate_{index}"] >= limit["max"]:
            return LimitHit(
                "limit:rate",
                f"rate limit: at most {limit['max']} {limit['action']!r} actions per {limit['per']} for {agent.slug}",
                deny,
            )
    if budgeted:
        before = usage["spent"] or Decimal(0)
        after = before + spend
        if after > limits.daily_budget:
            return LimitHit(
                "limit:budget",
                f"daily budget: {agent.slug} has spent {before:.2f} of {limits.daily_budget:.2f} today; "
                f"this action ({spend:.2f}) would exceed it",
                deny,
            )
        threshold = limits.daily_budget * BUDGET_ALERT_RATIO
        if before < threshold <= after:
            _budget_alert(agent, after, limits.daily_budget)
    return None


def _budget_alert(agent, spent: Decimal, budget: Decimal) -> None:
    from apps.alerts.services import alert_fire

    alert_fire(
        fingerprint=f"budget:{agent.slug}",
        kind="budget",
        severity="warning",
        title=f"{agent.slug} has used {spent / budget:.0%} of its daily budget",
        summary=f"Spent {spent:.2f} of {budget:.2f} today.",
        agent=agent,
        details={"spent": str(spent), "budget": str(budget)},
    )


def _clean_patterns(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) and 0 < len(p) <= 500 for p in value):
        raise ApplicationError("a list of resource globs, e.g. github:acme/*", field="resource_patterns")
    return [p.strip() for p in value if p.strip()]


def _clean_rates(value: Any) -> list[dict]:
    if not isinstance(value, list):
        raise ApplicationError("a list of {action, max, per}", field="rate_limits")
    cleaned = []
    for i, item in enumerate(value):
        field = f"rate_limits[{i}]"
        if not isinstance(item, dict) or set(item) != {"action", "max", "per"}:
            raise ApplicationError("each rate limit is {action, max, per}", field=field)
        if not isinstance(item["action"], str) or not item["action"].strip():
            raise ApplicationError("action is a glob such as deploy or refund.*", field=f"{field}.action")
        if not isinstance(item["max"], int) or isinstance(item["max"], bool) or item["max"] < 1:
            raise ApplicationError("max is a whole number of at least 1", field=f"{field}.max")
        if item["per"] not in RateWindow.values:
            raise ApplicationError("per is minute or hour", field=f"{field}.per")
        cleaned.append({"action": item["action"].strip(), "max": item["max"], "per": item["per"]})
    return cleaned


def _clean_fields(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(f, str) and re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", f) for f in value
    ):
        raise ApplicationError(
            "a list of param names (dotted paths), e.g. amount or cost_usd", field="budget_fields"
        )
    return value


@transaction.atomic
def agent_limits_set(
    *,
    agent,
    actor,
    resource_patterns: list[str] | None = None,
    rate_limits: list[dict] | None = None,
    daily_budget: Decimal | None = None,
    budget_fields: list[str] | None = None,
    over_limit: str = OverLimit.DENY,
) -> AgentLimits:
    """Replace an agent's limits (admins only), audited with before and after.

    `rate_limits`: `[{"action": "deploy", "max": 5, "per": "hour"}]`; `budget_fields`:
    params (dotted) summed toward `daily_budget`, default `["amount", "cost_usd"]`.
    Raises ApplicationError naming the field (e.g. `rate_limits[1].per`)."""
    if not user_can(actor, Capability.MANAGE):
        raise PermissionRefused("only the admin role may change an agent's limits")
    if over_limit not in OverLimit.values:
        raise ApplicationError("deny or escalate", field="over_limit")
    if daily_budget is not None:
        try:
            daily_budget = Decimal(str(daily_budget))
        except InvalidOperation:
            raise ApplicationError("a number", field="daily_budget") from None
        if daily_budget < 0 or not daily_budget.is_finite():
            raise ApplicationError("zero or more", field="daily_budget")
    cleaned = {
        "resource_patterns": _clean_patterns(resource_patterns or []),
        "rate_limits": _clean_rates(rate_limits or []),
        "daily_budget": daily_budget,
        "budget_fields": _clean_fields(["amount", "cost_usd"] if budget_fields is None else budget_fields),
        "over_limit": over_limit,
    }
    limits = AgentLimits.objects.select_for_update().filter(agent=agent).first()
    before = _limits_dict(limits) if limits else None
    limits = limits or AgentLimits(agent=agent)
    for name, value in cleaned.items():
        setattr(limits, name, value)
    limits.updated_by = actor
    limits.full_clean()
    limits.save()
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="limits.changed",
        agent=agent,
        resource=agent.resource_name,
        data={"before": before, "after": _limits_dict(limits)},
    )
    return limits


def _limits_dict(limits: AgentLimits) -> dict:
    return {
        "resource_patterns": limits.resource_patterns,
        "rate_limits": limits.rate_limits,
        "daily_budget": str(limits.daily_budget) if limits.daily_budget is not None else None,
        "budget_fields": limits.budget_fields,
        "over_limit": limits.over_limit,
    }

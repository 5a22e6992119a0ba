"""Admin-defined threshold rules, evaluated in SQL over the audit trail."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from agentgov.errors import ApplicationError
from apps.alerts.models import AlertKind, AlertRule, Comparison, RuleMetric
from apps.alerts.services.alerts import alert_fire, alert_resolve
from apps.audit.models import AuditEvent, EventStatus, EventType
from apps.audit.services import record

# What agents report; agentgov's own changes and access records are not agent behaviour.
REPORTED = [
    EventType.DECISION,
    EventType.TOOL_CALL,
    EventType.ACTION,
    EventType.MESSAGE,
    EventType.ERROR,
    EventType.LOG,
]
# A duplicated beat tick, or a second tick while the first is still running, finds every
# rule evaluated this recently and leaves it alone.
MIN_SPACING = timedelta(seconds=30)
EDITABLE = (
    "name",
    "metric",
    "agent",
    "comparison",
    "threshold",
    "window_minutes",
    "min_events",
    "severity",
    "enabled",
)


@dataclass(frozen=True)
class Measurement:
    value: float | None  # None: too few events to judge
    events: int


def _percentile(events, column: str, count: int, fraction: float) -> float:
    """Nearest-rank percentile by ORDER BY ... OFFSET in the database (PostgreSQL and
    SQLite alike): one row comes back, not the window's events."""
    rank = max(0, math.ceil(fraction * count) - 1)
    return events.filter(**{f"{column}__isnull": False}).order_by(column).values_list(column, flat=True)[rank]


def rule_measure(rule: AlertRule, now: datetime | None = None) -> Measurement:
    now = now or timezone.now()
    events = AuditEvent.objects.filter(
        occurred_at__gt=now - timedelta(minutes=rule.window_minutes), occurred_at__lte=now
    ).order_by()
    if rule.agent_id:
        events = events.filter(agent_id=rule.agent_id)
    reported = Q(type__in=REPORTED)
    totals = events.aggregate(
        reported=Count("id", filter=reported),
        errors=Count("id", filter=reported & (Q(status=EventStatus.ERROR) | Q(type=EventType.ERROR))),
        denials=Count("id", filter=Q(status=EventStatus.DENIED)),
        timed=Count("duration_ms", filter=reported),
        cost=Sum("cost_usd", filter=reported),
    )
    hours = rule.window_minutes / 60
    metric = rule.metric
    if metric == RuleMetric.ERROR_RATE:
        enough = totals["reported"] >= max(rule.min_events, 1)
        value = 100.0 * totals["errors"] / totals["reported"] if enough else None
        return Measurement(value, totals["reported"])
    if metric == RuleMetric.P95_LATENCY:
        timed = totals["timed"]
        enough = timed >= max(rule.min_events, 1)
        value = _percentile(events.filter(reported), "duration_ms", timed, 0.95) if enough else None
        return Measurement(value, timed)
    per_hour = {
        RuleMetric.COST_PER_HOUR: float(totals["cost"] or 0),
        RuleMetric.EVENTS_PER_HOUR: totals["reported"],
        RuleMetric.DENIALS_PER_HOUR: totals["denials"],
    }[RuleMetric(metric)]
    # Volumes are judged on any sample: no events at all is itself the news.
    return Measurement(per_hour / hours, totals["reported"])


def _crossed(rule: AlertRule, value: float) -> bool:
    return value > rule.threshold if rule.comparison == Comparison.ABOVE else value < rule.threshold


def rule_evaluate(rule: AlertRule, now: datetime | None = None) -> Measurement:
    """Measure, then fire or resolve the rule's alert. Too few events: no verdict, the
    alert keeps its state (a quiet hour is not a recovery)."""
    measured = rule_measure(rule, now)
    AlertRule.objects.filter(pk=rule.pk).update(last_value=measured.value)
    if measured.value is None:
        return measured
    if not _crossed(rule, measured.value):
        alert_resolve(fingerprint=rule.fingerprint)
        return measured
    label = RuleMetric(rule.metric).label
    alert_fire(
        fingerprint=rule.fingerprint,
        kind=AlertKind.THRESHOLD,
        severity=rule.severity,
        title=f"{rule.name}: {label} of {rule.scope_label} is {measured.value:.4g}",
        summary=(
            f"{label} over the last {rule.window_minutes} min is {measured.value:.4g}, "
            f"{Comparison(rule.comparison).label} the threshold of {rule.threshold:g} ({measured.events} events)."
        ),
        agent=rule.agent,
        details={
            "rule": rule.pk,
            "metric": rule.metric,
            "value": measured.value,
            "threshold": rule.threshold,
            "comparison": rule.comparison,
            "window_minutes": rule.window_minutes,
            "events": measured.events,
        },
    )
    return measured


def rules_evaluate(*, now: datetime | None = None) -> int:
    """Evaluate every enabled rule not evaluated in the last MIN_SPACING; each rule is
    claimed by a conditional update, so concurrent ticks split the work, never repeat it."""
    now = now or timezone.now()
    done = 0
    for rule in AlertRule.objects.filter(enabled=True).select_related("agent"):
        stale = Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lte=now - MIN_SPACING)
        if AlertRule.objects.filter(stale, pk=rule.pk).update(last_evaluated_at=now) != 1:
            continue
        rule_evaluate(rule, now)
        done += 1
    return done


def _apply(rule: AlertRule, actor, **fields) -> AlertRule:
    for name in EDITABLE:
        if name in fields:
            setattr(rule, name, fields[name])
    if rule.window_minutes is not None and not 1 <= rule.window_minutes <= 7 * 24 * 60:
        raise ApplicationError("the window is between 1 minute and 7 days", field="window_minutes")
    if rule.metric == RuleMetric.ERROR_RATE and rule.threshold is not None and not 0 <= rule.threshold <= 100:
        raise ApplicationError("an error rate threshold is a percentage, 0 to 100", field="threshold")
    if rule.threshold is not None and rule.threshold < 0:
        raise ApplicationError("the threshold cannot be negative", field="threshold")
    # Name clashes are left to the unique index, so two admins saving at once get one message.
    rule.full_clean(exclude=["created_by", "last_evaluated_at", "last_value"], validate_unique=False)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ApplicationError("another rule has this name", field="name") from None
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="alert_rule.saved",
        agent=rule.agent,
        resource=f"alert_rule:{rule.pk}",
        data={f: str(getattr(rule, f)) for f in EDITABLE if f != "agent"},
    )
    return rule


@transaction.atomic
def rule_create(*, actor, **fields) -> AlertRule:
    return _apply(AlertRule(created_by=actor), actor, **fields)


@transaction.atomic
def rule_update(*, rule: AlertRule, actor, **fields) -> AlertRule:
    """Saving a rule starts it afresh: its alert resolves if disabled, and the next tick
    evaluates the new condition."""
    rule = _apply(AlertRule.objects.select_for_update().get(pk=rule.pk), actor, **fields)
    rule.last_evaluated_at = None
    rule.save(update_fields=["last_evaluated_at"])
    if not rule.enabled:
        alert_resolve(fingerprint=rule.fingerprint)
    return rule

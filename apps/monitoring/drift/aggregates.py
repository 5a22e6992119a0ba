"""What drift needs from the audit trail, aggregated by the database: counts per agent,
window and event name, and histogram buckets per agent, window and measure. A sweep over
the fleet is a handful of GROUP BY queries, whatever the number of events."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, Count, IntegerField, Q, Value, When

from apps.audit.models import AuditEvent, EventStatus, EventType
from apps.monitoring.health import REPORTED_TYPES
from apps.monitoring.histograms import MEASURES

BASELINE, CURRENT = 0, 1
# The "tool/action mix": what the agent did, by name.
MIX_TYPES = (EventType.TOOL_CALL, EventType.ACTION)


@dataclass(frozen=True)
class Windows:
    baseline_start: datetime
    baseline_end: datetime
    current_start: datetime
    current_end: datetime

    def hours(self, window: int) -> float:
        start, end = (
            (self.baseline_start, self.baseline_end)
            if window == BASELINE
            else (self.current_start, self.current_end)
        )
        return max((end - start).total_seconds() / 3600, 1 / 60)


@dataclass
class WindowCounts:
    """One agent's events in one window."""

    events: int = 0
    failed: int = 0
    denied: int = 0
    mix: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, list[int]] = field(default_factory=dict)

    def histogram(self, measure) -> list[int]:
        return self.histograms.get(measure.name) or [0] * len(measure.edges)


def _events(agent_ids: list[int], windows: Windows):
    events = AuditEvent.objects.filter(
        agent_id__in=agent_ids,
        type__in=REPORTED_TYPES,
        occurred_at__gte=windows.baseline_start,
        occurred_at__lt=windows.current_end,
    )
    if windows.baseline_end < windows.current_start:  # a pinned baseline leaves a gap
        events = events.filter(
            Q(occurred_at__lt=windows.baseline_end) | Q(occurred_at__gte=windows.current_start)
        )
    window = Case(
        When(occurred_at__gte=windows.current_start, then=Value(CURRENT)),
        default=Value(BASELINE),
        output_field=IntegerField(),
    )
    return events.order_by().annotate(window=window)


def window_counts(agent_ids: list[int], windows: Windows) -> dict[int, tuple[WindowCounts, WindowCounts]]:
    """Per agent: (baseline, current) counts, from 1 + len(MEASURES) GROUP BY queries."""
    result: dict[int, tuple[WindowCounts, WindowCounts]] = defaultdict(
        lambda: (WindowCounts(), WindowCounts())
    )
    events = _events(agent_ids, windows)
    by_name = events.values("agent_id", "window", "type", "name").annotate(
        n=Count("id"),
        failed=Count("id", filter=Q(status=EventStatus.ERROR)),
        denied=Count("id", filter=Q(status=EventStatus.DENIED)),
    )
    for row in by_name.values_list("agent_id", "window", "type", "name", "n", "failed", "denied"):
        agent_id, window, type_, name, n, failed, denied = row
        counts = result[agent_id][window]
        counts.events += n
        counts.failed += failed
        counts.denied += denied
        if type_ in MIX_TYPES:
            counts.mix[name] = counts.mix.get(name, 0) + n
    for measure in MEASURES:
        buckets = (
            events.filter(measure.present())
            .annotate(measured=measure.value())
            .annotate(bucket=measure.bucket())
            .values("agent_id", "window", "bucket")
            .annotate(n=Count("id"))
            .values_list("agent_id", "window", "bucket", "n")
        )
        for agent_id, window, bucket, n in buckets:
            histogram = result[agent_id][window].histograms.setdefault(measure.name, [0] * len(measure.edges))
            histogram[bucket] += n
    return dict(result)


def names_used_before(agent_id: int, names: set[str], before: datetime) -> set[str]:
    """Which of `names` the agent used before `before` (only asked for tools new in the
    baseline, which is rare, so one small query per agent that has any)."""
    return set(
        AuditEvent.objects.filter(
            agent_id=agent_id, type__in=MIX_TYPES, name__in=names, occurred_at__lt=before
        )
        .order_by()
        .values_list("name", flat=True)
        .distinct()
    )

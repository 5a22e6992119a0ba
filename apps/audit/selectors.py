"""Reads of the audit trail worth naming."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from apps.audit.models import AuditEvent, IntegrityCheck


def event_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("agent", "actor_user", "actor_agent")


def event_by_uuid(uuid) -> AuditEvent:
    return event_list().get(uuid=uuid)


@dataclass
class Span:
    """One span of a trace with its events and child spans, for the waterfall."""

    span_id: str
    parent_span_id: str
    events: list[AuditEvent] = field(default_factory=list)
    children: list["Span"] = field(default_factory=list)
    depth: int = 0

    @property
    def started_at(self):
        return min(event.occurred_at for event in self.events)

    @property
    def duration_ms(self) -> float | None:
        durations = [event.duration_ms for event in self.events if event.duration_ms is not None]
        return max(durations) if durations else None

    @property
    def has_error(self) -> bool:
        return any(event.status == "error" or event.type == "error" for event in self.events)


@dataclass
class Trace:
    trace_id: str
    events: list[AuditEvent]
    roots: list[Span]

    def flat(self) -> list[Span]:
        """Spans depth-first, each after its parent: the rows of the waterfall."""
        ordered: list[Span] = []
        stack = list(reversed(self.roots))
        while stack:
            span = stack.pop()
            ordered.append(span)
            stack.extend(reversed(span.children))
        return ordered


TRACE_EVENT_LIMIT = 5000


def trace_tree(trace_id: str) -> Trace:
    """The trace's events grouped into spans and arranged parent → child. Events without
    a span id, and spans whose parent never arrived, become roots."""
    events = list(event_list().filter(trace_id=trace_id).order_by("occurred_at", "id")[:TRACE_EVENT_LIMIT])
    spans: dict[str, Span] = {}
    for index, event in enumerate(events):
        key = event.span_id or f"event-{index}"
        span = spans.setdefault(key, Span(span_id=event.span_id, parent_span_id=event.parent_span_id))
        span.events.append(event)
        span.parent_span_id = span.parent_span_id or event.parent_span_id
    roots = []
    for span in spans.values():
        parent = spans.get(span.parent_span_id) if span.parent_span_id else None
        (parent.children if parent is not None and parent is not span else roots).append(span)
    reached = _set_depths(roots)
    # Spans whose parent ids form a cycle are reached from no root; show them as roots.
    for span in spans.values():
        if id(span) not in reached:
            for other in spans.values():
                if span in other.children:
                    other.children.remove(span)
            roots.append(span)
            reached |= _set_depths([span])
    roots.sort(key=lambda span: span.started_at)
    return Trace(trace_id=trace_id, events=events, roots=roots)


def _set_depths(roots: list[Span]) -> set[int]:
    stack = [(span, 0) for span in roots]
    seen: set[int] = set()
    while stack:
        span, depth = stack.pop()
        if id(span) in seen:
            continue
        seen.add(id(span))
        span.depth = depth
        span.children.sort(key=lambda child: child.started_at)
        stack.extend((child, depth + 1) for child in span.children)
    return seen


def last_integrity_check() -> IntegrityCheck | None:
    return IntegrityCheck.objects.order_by("-started_at", "-id").first()

"""One trace as a waterfall: a row per span, a bar placed by start and sized by duration."""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import render

from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.audit import selectors
from apps.audit.selectors import TRACE_EVENT_LIMIT, Span, Trace
from apps.audit.views.present import ShownEvent, human_ms, show

MIN_BAR = 0.5  # percent of the track: a span without a duration still shows where it started
MAX_INDENT = 12  # deeper spans stop moving right, so labels keep some room
TICKS = (0, 25, 50, 75, 100)


@dataclass
class WaterfallRow:
    number: int
    span: Span
    events: list[ShownEvent]
    label: str
    indent: int
    left: str  # CSS percentages, formatted here so no template localises a decimal point
    width: str
    offset: str
    duration: str


@dataclass
class Waterfall:
    rows: list[WaterfallRow]
    total: str
    ticks: list[tuple[str, str]]  # (position, label)


def _label(span: Span) -> str:
    named = next((event for event in span.events if event.name), span.events[0])
    return named.name or named.get_type_display()


def waterfall(trace: Trace) -> Waterfall:
    spans = trace.flat()
    start = min(span.started_at for span in spans)
    offsets = [(span.started_at - start).total_seconds() * 1000 for span in spans]
    ends = [offset + (span.duration_ms or 0) for offset, span in zip(offsets, spans, strict=True)]
    total = max(ends) or 1.0
    rows = []
    for number, (span, offset) in enumerate(zip(spans, offsets, strict=True), start=1):
        left = min(offset / total * 100, 100 - MIN_BAR)
        width = min(max((span.duration_ms or 0) / total * 100, MIN_BAR), 100 - left)
        rows.append(
            WaterfallRow(
                number=number,
                span=span,
                events=[show(event) for event in span.events],
                label=_label(span),
                indent=min(span.depth, MAX_INDENT),
                left=f"{left:.3f}%",
                width=f"{width:.3f}%",
                offset=human_ms(offset),
                duration=human_ms(span.duration_ms),
            )
        )
    ticks = [(f"{tick}%", human_ms(total * tick / 100)) for tick in TICKS]
    return Waterfall(rows=rows, total=human_ms(total), ticks=ticks)


@require(Capability.VIEW)
def trace_detail(request, trace_id: str):
    trace = selectors.trace_tree(trace_id)
    if not trace.events:
        raise Http404("No events carry this trace id.")
    chart = waterfall(trace)
    agents = {event.agent.slug: event.agent for event in trace.events if event.agent}
    context = {
        "trace": trace,
        "waterfall": chart,
        "agents": sorted(agents.values(), key=lambda agent: agent.slug),
        "started_at": trace.events[0].occurred_at,
        "errors": [row for row in chart.rows if row.span.has_error],
        "truncated": len(trace.events) >= TRACE_EVENT_LIMIT,
        "limit": TRACE_EVENT_LIMIT,
    }
    return render(request, "audit/trace_detail.html", context)

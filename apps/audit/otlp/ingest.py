"""OTLP spans into the audit trail through `events_ingest`, the one ingestion path.

OTLP reports partial success per span, where `events_ingest` refuses a whole batch for
one invalid event: spans that cannot be mapped are set aside first, and if validation
still refuses some, those (named by index) are set aside and the rest is sent again.
Validation happens before anything is written, so the retry never stores twice.
"""

from dataclasses import dataclass, field

from django.conf import settings

from apps.audit.ingest import BatchRefused, events_ingest
from apps.audit.otlp.mapping import SpanRejected, span_to_event, spans_of

MESSAGES_KEPT = 5  # rejections named in the response; the count covers them all


@dataclass
class OtlpResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)

    @property
    def error_message(self) -> str:
        if not self.rejected:
            return ""
        shown = "; ".join(self.rejected[:MESSAGES_KEPT])
        more = len(self.rejected) - MESSAGES_KEPT
        return f"{len(self.rejected)} span(s) rejected: {shown}" + (f"; and {more} more" if more > 0 else "")


def otlp_traces_ingest(*, agent, export_request, source_ip: str | None = None) -> OtlpResult:
    """Store the spans of an ExportTraceServiceRequest as the agent's events."""
    result = OtlpResult()
    events: list[dict] = []
    for span, shared in spans_of(export_request):
        try:
            events.append(span_to_event(span, shared))
        except SpanRejected as exc:
            result.rejected.append(f"span {span.span_id.hex() or '(no id)'}: {exc}")
    size = settings.AUDIT_MAX_BATCH_EVENTS
    for start in range(0, len(events), size):
        _ingest_chunk(agent, events[start : start + size], source_ip, result)
    return result


def _ingest_chunk(agent, events: list[dict], source_ip: str | None, result: OtlpResult) -> None:
    try:
        outcome = events_ingest(agent=agent, body={"events": events}, source_ip=source_ip)
    except BatchRefused as refused:
        bad = {error["index"] for error in refused.errors}
        for error in refused.errors:
            span = events[error["index"]]["span_id"]
            result.rejected.append(f"span {span}: {error['field']} {error['message']}")
        events = [event for index, event in enumerate(events) if index not in bad]
        if not events:
            return
        outcome = events_ingest(agent=agent, body={"events": events}, source_ip=source_ip)
    result.accepted += outcome.accepted
    result.duplicates += outcome.duplicates
    for error in outcome.rejected:
        result.rejected.append(f"span {events[error['index']]['span_id']}: {error['message']}")

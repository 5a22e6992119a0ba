"""How audit events are shown: pretty JSON with redactions marked, decisions, durations."""

import json
import re
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.audit.models import AuditEvent, EventStatus, EventType

REDACTED = re.compile(r"\[REDACTED:[A-Za-z0-9_]+\]")


def mark_redactions(text: str) -> SafeString:
    """`text`, escaped, with every `[REDACTED:<kind>]` that ingestion wrote wrapped in <mark>."""
    # The marker holds only letters, digits, `_`, `:` and brackets: escaping leaves it intact.
    return mark_safe(REDACTED.sub(lambda m: f'<mark class="redacted">{m.group(0)}</mark>', escape(text)))


def pretty_json(value) -> SafeString | None:
    """Indented JSON, escaped, redactions marked; None when there is no value at all."""
    if value is None:
        return None
    return mark_redactions(json.dumps(value, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder))


def human_ms(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms == 0:
        return "0 ms"
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@dataclass(frozen=True)
class Alternative:
    option: SafeString
    score: float | None
    reason: SafeString
    chosen: bool


@dataclass
class ShownEvent:
    """An event with what its page needs precomputed, so templates only lay it out."""

    event: AuditEvent
    rationale: SafeString
    chosen: SafeString
    alternatives: list[Alternative]
    chosen_listed: bool  # the chosen option is one of the alternatives
    input: SafeString | None
    output: SafeString | None
    attributes: SafeString | None
    data: SafeString | None
    alternatives_json: SafeString | None
    duration: str

    @property
    def has_error(self) -> bool:
        return self.event.status == EventStatus.ERROR or self.event.type == EventType.ERROR

    @property
    def is_decision(self) -> bool:
        return self.event.type == EventType.DECISION or bool(self.alternatives or self.event.chosen)

    @property
    def has_payload(self) -> bool:
        return self.input is not None or self.output is not None


def _alternatives(event: AuditEvent) -> list[Alternative]:
    items = event.alternatives if isinstance(event.alternatives, list) else []
    shown = []
    for item in items:
        item = item if isinstance(item, dict) else {"option": item}
        option = str(item.get("option", ""))
        score = item.get("score")
        shown.append(
            Alternative(
                option=mark_redactions(option),
                score=score if isinstance(score, int | float) else None,
                reason=mark_redactions(str(item.get("reason") or "")),
                chosen=bool(event.chosen) and option == event.chosen,
            )
        )
    return shown


def show(event: AuditEvent) -> ShownEvent:
    alternatives = _alternatives(event)
    return ShownEvent(
        event=event,
        rationale=mark_redactions(event.rationale),
        chosen=mark_redactions(event.chosen),
        alternatives=alternatives,
        chosen_listed=any(alternative.chosen for alternative in alternatives),
        input=pretty_json(event.input),
        output=pretty_json(event.output),
        attributes=pretty_json(event.attributes or None),
        data=pretty_json(event.data or None),
        alternatives_json=pretty_json(event.alternatives),
        duration=human_ms(event.duration_ms),
    )

"""The audit trail page: newest first, the API's filters, keyset pages (never a count)."""

from django import forms

from agentgov.htmx import render_page_or_fragment, wants_fragment
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.audit import selectors
from apps.audit.filters import AuditEventFilter
from apps.audit.pagination import decode_cursor, page_before
from apps.registry.models import Agent

PAGE_SIZE = 50
AGENT_SUGGESTIONS = 500
# Filters folded under "More filters" unless one of them is in use.
MORE_FILTERS = ("name", "resource", "trace_id", "action_id", "actor_type")
# Payloads can be large and the table shows none of them.
UNSHOWN = ("input", "output", "attributes", "alternatives", "data", "redactions")
TIME_HELP = "In UTC, or add an offset: 2026-11-26T14:00+01:00"
# Short enough for the buttons to sit on one line next to From and Until.
RANGE_LABELS = {
    "15m": "Last 15 min",
    "1h": "Last hour",
    "24h": "Last 24 h",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}


class TrailFilter(AuditEventFilter):
    """The API's filter set, with widgets for people: checkboxes, a range picker, hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("type", "status"):
            self.filters[name].extra["widget"] = forms.CheckboxSelectMultiple
        self.filters["range"].extra.update(
            widget=forms.RadioSelect,
            empty_label="Any time",
            choices=[
                (key, RANGE_LABELS.get(key, label)) for key, label in self.filters["range"].extra["choices"]
            ],
        )
        self.filters["actor_type"].extra["empty_label"] = "Anyone"
        self.filters["agent"].extra["widget"] = forms.TextInput(
            attrs={"list": "agent-slugs", "autocomplete": "off", "spellcheck": "false"}
        )
        for name in ("since", "until"):
            self.filters[name].extra.update(
                widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD HH:MM", "spellcheck": "false"}),
                help_text=TIME_HELP,
            )
        self.filters["actor"].label = "Actor"
        self.filters["actor"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": "username or agent:slug", "spellcheck": "false"}
        )
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, resource, rationale, choice…"}
        )
        self.filters["q"].extra["help_text"] = "Scans text: combine it with an agent or a time range."


def _cursor(value: str) -> tuple[str | None, str]:
    """The page cursor, or None and why it was dropped."""
    if not value:
        return None, ""
    try:
        decode_cursor(value)
    except ValueError:
        return None, "This page link is broken; showing the newest events instead."
    return value, ""


def _agent_slugs() -> list[str]:
    return list(Agent.objects.order_by("slug").values_list("slug", flat=True)[:AGENT_SUGGESTIONS])


@require(Capability.VIEW)
def trail(request):
    filterset = TrailFilter(request.GET or None, queryset=selectors.event_list().defer(*UNSHOWN))
    valid = not filterset.is_bound or filterset.is_valid()
    cursor, cursor_error = _cursor(request.GET.get("before", ""))
    in_use = {name for name in filterset.filters if any(request.GET.getlist(name))}
    fragment = wants_fragment(request)
    context = {
        "form": filterset.form,
        # A bad filter shows no rows: events listed without it would answer another question.
        "page": page_before(filterset.qs, cursor, PAGE_SIZE) if valid else None,
        "cursor_error": cursor_error,
        "filtered": bool(in_use),
        "more_open": bool(in_use & set(MORE_FILTERS)),
        "first_page": cursor is None,
        "fragment": fragment,
    }
    if not fragment:
        context["integrity"] = selectors.last_integrity_check()
        context["agent_slugs"] = _agent_slugs()
    return render_page_or_fragment(request, "audit/trail.html", "audit/partials/trail_results.html", context)

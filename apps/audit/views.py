"""The audit trail page: newest first, filtered, paged by keyset (never by counting)."""

from django import forms

from agentgov.htmx import render_page_or_fragment
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.audit.models import AuditEvent, EventType
from apps.audit.pagination import decode_cursor, page_before

PAGE_SIZE = 50


class TrailFilterForm(forms.Form):
    agent = forms.SlugField(required=False, label="Agent slug")
    type = forms.ChoiceField(
        choices=[("", "Any type"), *EventType.choices], required=False, label="Event type"
    )
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    unmarked_optional = ("agent", "type")  # every filter is optional; saying so is noise

    def clean_before(self) -> str:
        cursor = self.cleaned_data["before"]
        if cursor:
            try:
                decode_cursor(cursor)
            except ValueError:
                raise forms.ValidationError("This page link is broken; start from the newest.") from None
        return cursor


@require(Capability.VIEW)
def trail(request):
    form = TrailFilterForm(request.GET)
    form.is_valid()
    criteria = form.cleaned_data  # only the valid filters; a broken one is shown as an error
    events = AuditEvent.objects.select_related("actor_user", "actor_agent", "agent")
    if criteria.get("agent"):
        events = events.filter(agent__slug=criteria["agent"])
    if criteria.get("type"):
        events = events.filter(type=criteria["type"])
    page = page_before(events, criteria.get("before"), PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "filtered": bool(criteria.get("agent") or criteria.get("type")),
        "first_page": not criteria.get("before"),
    }
    return render_page_or_fragment(request, "audit/trail.html", "audit/partials/trail_results.html", context)

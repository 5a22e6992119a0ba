"""One audit event: every field, redactions marked, and its place in its hash chain."""

from django.http import Http404
from django.shortcuts import render

from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.audit import selectors
from apps.audit.chain import GLOBAL_CHAIN
from apps.audit.models import AuditEvent
from apps.audit.views.present import show


def chain_neighbours(event: AuditEvent) -> tuple[AuditEvent | None, AuditEvent | None]:
    """The events just before and after `event` in its chain (by seq), where they exist.

    The retention job may have cut the start of a chain, so #seq-1 can be gone."""
    chain = (
        AuditEvent.objects.filter(agent_id=event.agent_id)
        if event.agent_id
        else AuditEvent.objects.filter(agent__isnull=True)
    )
    found = {
        e.seq: e for e in chain.filter(seq__in=[event.seq - 1, event.seq + 1]).only("uuid", "seq", "name")
    }
    return found.get(event.seq - 1), found.get(event.seq + 1)


@require(Capability.VIEW)
def event_detail(request, uuid):
    try:
        event = selectors.event_by_uuid(uuid)
    except AuditEvent.DoesNotExist:
        raise Http404("No audit event with this id.") from None
    previous, following = chain_neighbours(event)
    context = {
        "event": event,
        "shown": show(event),
        "chain": f"agent {event.agent.slug}" if event.agent else GLOBAL_CHAIN,
        "previous": previous,
        "following": following,
    }
    return render(request, "audit/event_detail.html", context)

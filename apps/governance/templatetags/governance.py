"""Governance pieces other apps' templates show: the nav's pending badge, an agent's limits."""

from django import template

from apps.accounts.roles import Capability, user_can
from apps.governance import page_selectors, selectors

register = template.Library()


@register.inclusion_tag("governance/partials/pending_badge.html", takes_context=True)
def pending_badge(context):
    """The count of requests waiting for a reviewer (one indexed count), for people with a role."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not user_can(user, Capability.VIEW):
        return {"hidden": True}
    return {"pending_count": selectors.pending_count()}


@register.inclusion_tag("governance/partials/limits_panel.html", takes_context=True)
def limits_panel(context, agent):
    return {"agent": agent, "panel": page_selectors.limits_panel(agent), "can": context.get("can", {})}

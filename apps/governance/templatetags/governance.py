"""Governance pieces other apps' templates show: the nav's pending badge, an agent's limits."""

from django import template

from apps.accounts.roles import Capability, user_can
from apps.governance import page_selectors

register = template.Library()


@register.inclusion_tag("governance/partials/pending_badge.html", takes_context=True)
def pending_badge(context):
    """A placeholder that htmx fills with the pending count once the page has loaded: pages
    such as the audit trail promise a fixed set of queries, none of them a count."""
    request = context.get("request")
    return {"hidden": not user_can(getattr(request, "user", None), Capability.VIEW), "placeholder": True}


@register.inclusion_tag("governance/partials/limits_panel.html", takes_context=True)
def limits_panel(context, agent):
    return {"agent": agent, "panel": page_selectors.limits_panel(agent), "can": context.get("can", {})}

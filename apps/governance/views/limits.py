"""An agent's blast-radius limits: edited by admins (the agent page shows them to everyone)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect

from agentgov.forms import call_service
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.governance import page_selectors, selectors, services
from apps.governance.forms import LimitsForm
from apps.governance.views.common import GET_POST, form_page, posted
from apps.registry import selectors as registry


@require(Capability.MANAGE)
@GET_POST
def agent_limits(request, slug: str):
    agent = get_object_or_404(registry.agent_list(), slug=slug)
    form = LimitsForm(posted(request), limits=selectors.limits_of(agent))
    if request.method == "POST" and form.is_valid():
        limits = call_service(
            form, services.agent_limits_set, agent=agent, actor=request.user, **form.service_kwargs()
        )
        if limits is not None:
            messages.success(request, f"Limits of {agent.slug} saved; they apply to its next request.")
            return redirect("registry:agent_detail", slug=agent.slug)
    context = {"agent": agent, "form": form, "panel": page_selectors.limits_panel(agent)}
    return form_page(request, "governance/agent_limits.html", context)

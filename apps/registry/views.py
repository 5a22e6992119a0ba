"""Registry pages. Reads go through selectors, every write through a service."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from agentgov.forms import call_service
from agentgov.htmx import render_page_or_fragment
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.audit.models import AuditEvent
from apps.registry import selectors, services
from apps.registry.forms import (
    AgentForm,
    AgentPageFilter,
    DeployForm,
    KeyCreateForm,
    KeyRotateForm,
    ReasonForm,
)
from apps.registry.models import Agent, AgentStatus
from apps.registry.services.lifecycle import allowed_actions

PAGE_SIZE = 25
RECENT_ACTIVITY = 15
ACTIVITY_FIELDS = ("uuid", "occurred_at", "type", "name", "resource", "status", "trace_id")
GET_POST = require_http_methods(["GET", "POST"])


def _agent(slug: str) -> Agent:
    return get_object_or_404(selectors.agent_list(), slug=slug)


def _posted(request):
    # Not `request.POST or None`: an empty POST must still bind, and fail, the form.
    return request.POST if request.method == "POST" else None


def _form_page(request, template: str, context: dict):
    """A form page; on POST it is only reached when the input was refused, hence 400."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


@require(Capability.VIEW)
def agent_list(request):
    filterset = AgentPageFilter(request.GET or None, queryset=selectors.agent_list())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(value for name in filterset.filters for value in request.GET.getlist(name))
    context = {"filter": filterset, "page": page, "filtered": filtered}
    return render_page_or_fragment(
        request, "registry/agent_list.html", "registry/partials/agent_results.html", context
    )


@require(Capability.VIEW)
def agent_detail(request, slug: str):
    agent = _agent(slug)
    context = {
        "agent": agent,
        "versions": selectors.agent_versions(agent),
        "history": selectors.agent_lifecycle_history(agent),
        "keys": selectors.agent_keys(agent),
        # Only the columns the panel shows: an agent's payloads can be large.
        "activity": AuditEvent.objects.filter(agent=agent)
        .only(*ACTIVITY_FIELDS)
        .order_by("-occurred_at", "-id")[:RECENT_ACTIVITY],
        "actions": allowed_actions(agent),
        "editable": agent.status != AgentStatus.RETIRED,
        # Mirrors agent_key_create's refusal, only to hide buttons that would be refused.
        "keys_issuable": agent.status not in (AgentStatus.RETIRED, AgentStatus.QUARANTINED),
    }
    return render(request, "registry/agent_detail.html", context)


@require(Capability.MANAGE)
@GET_POST
def agent_create(request):
    form = AgentForm(_posted(request), initial={"owner": request.user.get_username()})
    if request.method == "POST" and form.is_valid():
        agent = call_service(form, services.agent_register, actor=request.user, **form.service_kwargs())
        if agent is not None:
            messages.success(request, f"Agent {agent.slug} registered. Deploy a version next.")
            return redirect("registry:agent_detail", slug=agent.slug)
    context = {"form": form, "agent": None}
    return _form_page(request, "registry/agent_form.html", context)


@require(Capability.MANAGE)
@GET_POST
def agent_edit(request, slug: str):
    agent = _agent(slug)
    form = AgentForm(_posted(request), agent=agent)
    if request.method == "POST" and form.is_valid():
        updated = call_service(
            form, services.agent_update, agent=agent, actor=request.user, **form.service_kwargs()
        )
        if updated is not None:
            messages.success(request, f"Agent {agent.slug} saved.")
            return redirect("registry:agent_detail", slug=agent.slug)
    context = {"form": form, "agent": agent}
    return _form_page(request, "registry/agent_form.html", context)


@require(Capability.MANAGE)
@GET_POST
def agent_deploy(request, slug: str):
    agent = _agent(slug)
    # "Redeploy" links in the versions table preselect the version to roll back to.
    initial = {"redeploy": request.GET.get("redeploy", "")}
    form = DeployForm(_posted(request), agent=agent, initial=initial)
    if request.method == "POST" and form.is_valid():
        deployed = call_service(
            form, services.agent_deploy, agent=agent, actor=request.user, **form.service_kwargs()
        )
        if deployed is not None:
            label = deployed.current_version.label
            messages.success(request, f"Version {label} of {agent.slug} is deployed.")
            return redirect("registry:agent_detail", slug=agent.slug)
    context = {"form": form, "agent": agent, "versions": selectors.agent_versions(agent)}
    return _form_page(request, "registry/agent_deploy.html", context)


@dataclass(frozen=True)
class LifecycleAction:
    service: Callable
    title: str
    effect: str
    done: str
    reason_required: bool = True
    destructive: bool = False


LIFECYCLE_ACTIONS: dict[str, LifecycleAction] = {
    "pause": LifecycleAction(
        services.agent_pause,
        "Pause",
        "Requests made with this agent's keys are refused until someone resumes it. Its keys stay valid.",
        "paused",
    ),
    "resume": LifecycleAction(
        services.agent_resume,
        "Resume",
        "The agent's requests are served again, with its current version and keys.",
        "resumed",
        reason_required=False,
    ),
    "quarantine": LifecycleAction(
        services.agent_quarantine,
        "Quarantine",
        "Quarantine is a kill switch: every request with this agent's keys will be refused, "
        "from now on. Releasing it later leaves the agent paused, so a person still has to "
        "resume it deliberately.",
        "quarantined",
        destructive=True,
    ),
    "release": LifecycleAction(
        services.agent_release,
        "Release",
        "Lifts the quarantine after investigation. The agent lands paused (or registered, if "
        "it never had a version); its requests stay refused until someone resumes it.",
        "released from quarantine",
    ),
    "retire": LifecycleAction(
        services.agent_retire,
        "Retire",
        "Retirement is final. Every key of this agent is revoked now, and it can never be "
        "deployed, resumed or edited again. It stays in the registry for the record.",
        "retired",
        destructive=True,
    ),
}


@require(Capability.MANAGE)
@GET_POST
def agent_lifecycle(request, slug: str, action: str):
    """One confirmation page and one POST for pause, resume, quarantine, release, retire."""
    agent = _agent(slug)
    spec = LIFECYCLE_ACTIONS[action]
    form = ReasonForm(_posted(request), reason_required=spec.reason_required)
    if request.method == "POST" and form.is_valid():
        changed = call_service(
            form, spec.service, agent=agent, actor=request.user, reason=form.cleaned_data["reason"]
        )
        if changed is not None:
            messages.success(request, f"Agent {agent.slug} {spec.done}.")
            return redirect("registry:agent_detail", slug=agent.slug)
    context = {
        "agent": agent,
        "action": action,
        "spec": spec,
        "form": form,
        "allowed": action in allowed_actions(agent),
        "active_keys": sum(key.is_usable for key in selectors.agent_keys(agent)),
    }
    # A GET for an action the status does not allow still renders: the page says why.
    return _form_page(request, "registry/agent_lifecycle.html", context)


def _key_shown(request, agent: Agent, key, raw_key: str, *, rotated_from=None):
    """The only response that ever holds the key. Never cached, never redirected to."""
    context = {"agent": agent, "key": key, "raw_key": raw_key, "rotated_from": rotated_from}
    response = render(request, "registry/key_shown.html", context, status=201)
    add_never_cache_headers(response)
    return response


@require(Capability.MANAGE)
@GET_POST
def key_create(request, slug: str):
    agent = _agent(slug)
    form = KeyCreateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        created = call_service(
            form, services.agent_key_create, agent=agent, actor=request.user, **form.service_kwargs()
        )
        if created is not None:
            return _key_shown(request, agent, *created)
    context = {"form": form, "agent": agent}
    return _form_page(request, "registry/key_create.html", context)


@require(Capability.MANAGE)
@GET_POST
def key_revoke(request, slug: str, prefix: str):
    agent = _agent(slug)
    key = get_object_or_404(selectors.agent_keys(agent), prefix=prefix)
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        revoked = call_service(
            form, services.agent_key_revoke, key=key, actor=request.user, **form.cleaned_data
        )
        if revoked is not None:
            messages.success(request, f"Key {key.prefix} revoked; it is refused from now on.")
            return redirect("registry:agent_detail", slug=agent.slug)
    context = {"form": form, "agent": agent, "key": key}
    return _form_page(request, "registry/key_revoke.html", context)


@require(Capability.MANAGE)
@GET_POST
def key_rotate(request, slug: str, prefix: str):
    agent = _agent(slug)
    key = get_object_or_404(selectors.agent_keys(agent), prefix=prefix)
    form = KeyRotateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        rotated = call_service(
            form, services.agent_key_rotate, key=key, actor=request.user, **form.cleaned_data
        )
        if rotated is not None:
            old = selectors.agent_keys(agent).get(pk=key.pk)
            return _key_shown(request, agent, *rotated, rotated_from=old)
    context = {"form": form, "agent": agent, "key": key}
    return _form_page(request, "registry/key_rotate.html", context)

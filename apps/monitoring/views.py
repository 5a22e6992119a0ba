"""Drift pages: the fleet heatmap, an agent's drift tab, an agent's monitoring settings."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from agentgov.forms import call_service
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.monitoring import charts, selectors
from apps.monitoring.drift.metrics import MEASURE_OF
from apps.monitoring.forms import MonitorSettingsForm
from apps.monitoring.services import monitor_for, monitor_update
from apps.registry.models import Agent

DRIFTING_LISTED = 50


def _agent(slug: str) -> Agent:
    return get_object_or_404(Agent.objects.select_related("current_version"), slug=slug)


@require(Capability.VIEW)
def drift_fleet(request):
    run = selectors.latest_drift_run()
    reports = list(selectors.run_reports(run))
    context = {
        "run": run,
        "reports": reports,
        "drifting": [r for r in reports if r.verdict == "drift"][:DRIFTING_LISTED],
        "heatmap": charts.fleet_heatmap(reports),
        "heatmap_limit": charts.HEATMAP_MAX_AGENTS,
    }
    return render(request, "monitoring/drift.html", context)


@require(Capability.VIEW)
def agent_drift(request, slug: str):
    agent = _agent(slug)
    latest = selectors.agent_latest_report(agent)
    distributions = [
        (f"drift-dist-{metric}", measure.label, charts.distribution_overlay(latest, metric))
        for metric, measure in MEASURE_OF.items()
    ]
    context = {
        "agent": agent,
        "monitor": monitor_for(agent),
        "report": latest,
        "history": charts.agent_metric_history(
            list(selectors.agent_reports(agent)), selectors.agent_deploys(agent)
        ),
        "tool_mix": charts.tool_mix_bars(latest),
        "distributions": [(chart_id, label, figure) for chart_id, label, figure in distributions if figure],
        "health_events": selectors.agent_health_events(agent),
    }
    return render(request, "monitoring/agent_drift.html", context)


@require(Capability.MANAGE)
@require_http_methods(["GET", "POST"])
def monitor_settings(request, slug: str):
    agent = _agent(slug)
    monitor = monitor_for(agent)
    form = MonitorSettingsForm(request.POST or None, monitor=monitor)
    if request.method == "POST" and form.is_valid():
        done = call_service(form, monitor_update, actor=request.user, agent=agent, **form.service_values())
        if done is not None:
            messages.success(request, f"Monitoring of {agent.slug} updated.")
            return redirect("monitoring:agent_drift", slug=agent.slug)
    context = {"agent": agent, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "monitoring/monitor_settings.html", context, status=status)

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agentgov.forms import call_service
from agentgov.htmx import render_page_or_fragment
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.alerts import selectors, services
from apps.alerts.filters import AlertFilter
from apps.alerts.forms import AcknowledgeForm, SilenceForm
from apps.alerts.views.common import GET_POST, PAGE_SIZE, back_to, form_page, posted


@require(Capability.VIEW)
def alert_list(request):
    filterset = AlertFilter(request.GET or None, queryset=selectors.alert_list())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(value for name in filterset.filters for value in request.GET.getlist(name))
    context = {"filter": filterset, "page": page, "filtered": filtered, "firing": selectors.firing_counts()}
    return render_page_or_fragment(
        request, "alerts/alert_list.html", "alerts/partials/alert_results.html", context
    )


def _detail_context(alert, **forms) -> dict:
    return {
        "alert": alert,
        "deliveries": selectors.alert_deliveries(alert),
        "ack_form": forms.get("ack_form") or AcknowledgeForm(),
        "silence_form": forms.get("silence_form") or SilenceForm(),
    }


@require(Capability.VIEW)
def alert_detail(request, pk: int):
    alert = get_object_or_404(selectors.alert_list(), pk=pk)
    return render(request, "alerts/alert_detail.html", _detail_context(alert))


@require(Capability.HANDLE_ALERTS)
@require_POST
def alert_acknowledge(request, pk: int):
    alert = get_object_or_404(selectors.alert_list(), pk=pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid() and call_service(
        form, services.alert_acknowledge, alert=alert, actor=request.user, note=form.cleaned_data["note"]
    ):
        messages.success(request, f"Acknowledged: {alert.title}. Repeats stop until it fires again.")
        return redirect(back_to(request) or reverse("alerts:alert_detail", args=[pk]))
    return render(request, "alerts/alert_detail.html", _detail_context(alert, ack_form=form), status=400)


@require(Capability.HANDLE_ALERTS)
@GET_POST
def alert_silence(request, pk: int):
    alert = get_object_or_404(selectors.alert_list(), pk=pk)
    form = SilenceForm(posted(request))
    if request.method == "POST" and form.is_valid():
        silenced = call_service(
            form,
            services.alert_silence,
            alert=alert,
            actor=request.user,
            until=form.until_value(),
            reason=form.cleaned_data["reason"],
        )
        if silenced is not None:
            messages.success(request, f"Silenced until {silenced.silenced_until:%Y-%m-%d %H:%M %Z}.")
            return redirect("alerts:alert_detail", pk=pk)
    return form_page(request, "alerts/alert_silence.html", {"alert": alert, "form": form})


@require(Capability.HANDLE_ALERTS)
@require_POST
def alert_unsilence(request, pk: int):
    alert = get_object_or_404(selectors.alert_list(), pk=pk)
    form = AcknowledgeForm(request.POST)
    if call_service(form, services.alert_unsilence, alert=alert, actor=request.user):
        messages.success(request, "The silence is lifted; notifications are sent again.")
        return redirect("alerts:alert_detail", pk=pk)
    return render(request, "alerts/alert_detail.html", _detail_context(alert, ack_form=form), status=400)

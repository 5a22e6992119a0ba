from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from agentgov.forms import call_service
from apps.accounts.access import require
from apps.accounts.roles import Capability
from apps.alerts import selectors, services
from apps.alerts.forms import RuleForm
from apps.alerts.models import AlertRule
from apps.alerts.views.common import GET_POST, form_page, posted


@require(Capability.VIEW)
def rule_list(request):
    return render(request, "alerts/rule_list.html", {"rules": selectors.rule_list()})


@require(Capability.MANAGE)
@GET_POST
def rule_create(request):
    form = RuleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        rule = call_service(form, services.rule_create, actor=request.user, **form.service_kwargs())
        if rule is not None:
            messages.success(request, f"Rule {rule.name} saved; it is evaluated within a minute.")
            return redirect("alerts:rule_list")
    return form_page(request, "alerts/rule_form.html", {"form": form, "rule": None})


@require(Capability.MANAGE)
@GET_POST
def rule_edit(request, pk: int):
    rule = get_object_or_404(AlertRule, pk=pk)
    form = RuleForm(posted(request), instance=AlertRule.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.rule_update, rule=rule, actor=request.user, **form.service_kwargs()
        )
        if saved is not None:
            messages.success(request, f"Rule {saved.name} saved.")
            return redirect("alerts:rule_list")
    return form_page(request, "alerts/rule_form.html", {"form": form, "rule": rule})

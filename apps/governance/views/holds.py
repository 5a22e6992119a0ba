"""Resource holds: the active and released ones, placing one, releasing one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect

from agentgov.forms import call_service
from apps.accounts.access import require
from apps.accounts.roles import Capability, user_can
from apps.governance import selectors, services
from apps.governance.forms import HoldForm, ReleaseForm
from apps.governance.models import ResourceHold
from apps.governance.views.common import GET_POST, form_page, posted

RELEASED_PAGE_SIZE = 25


def may_place_holds(user) -> bool:
    # Mirrors hold_create's rule, only to decide whether to show the form.
    return user_can(user, Capability.DECIDE_APPROVALS) or user_can(user, Capability.MANAGE)


def may_release(user, hold: ResourceHold) -> bool:
    # Mirrors hold_release's rule, only to decide whether to show the button.
    return hold.author_user_id == user.pk or user_can(user, Capability.DECIDE_APPROVALS)


@require(Capability.VIEW)
@GET_POST
def hold_list(request):
    may_place = may_place_holds(request.user)
    if request.method == "POST" and not may_place:
        raise PermissionDenied("only reviewers and admins may put resources on hold")
    form = HoldForm(posted(request)) if may_place else None
    if form is not None and request.method == "POST" and form.is_valid():
        hold = call_service(form, services.hold_create, actor=request.user, **form.cleaned_data)
        if hold is not None:
            messages.success(
                request, f"{hold.pattern} is on hold: other agents' actions on it now wait for a reviewer."
            )
            return redirect("governance:holds")
    active = list(selectors.hold_list(active=True))
    context = {
        "form": form,
        "active": [(hold, may_release(request.user, hold)) for hold in active],
        "released": Paginator(selectors.hold_list(active=False), RELEASED_PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
    }
    return form_page(request, "governance/holds.html", context)


@require(Capability.VIEW)
@GET_POST
def hold_release(request, pk: int):
    hold = get_object_or_404(selectors.hold_list(active=None), pk=pk)
    if not may_release(request.user, hold):
        raise PermissionDenied("only the hold's author or a reviewer may release it")
    form = ReleaseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        released = call_service(
            form, services.hold_release, hold=hold, actor=request.user, **form.cleaned_data
        )
        if released is not None:
            messages.success(request, f"The hold on {hold.pattern} is released.")
            return redirect("governance:holds")
    return form_page(request, "governance/hold_release.html", {"hold": hold, "form": form})

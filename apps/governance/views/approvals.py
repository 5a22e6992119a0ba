"""The approval queue (live), its nav badge, and the review page where reviewers decide."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from agentgov.forms import call_service
from agentgov.htmx import render_page_or_fragment, wants_fragment
from apps.accounts.access import require
from apps.accounts.roles import Capability, user_can
from apps.audit.views.present import human_ms, pretty_json
from apps.governance import page_selectors, selectors, services
from apps.governance.forms import DecideForm, QueueFilterForm
from apps.governance.models import ActionRequest, RequestStatus
from apps.governance.views.common import form_page

PAGE_SIZE = 50
METRICS_DAYS = 30
# How often the open queue page asks for fresh rows; the badge elsewhere polls more slowly.
QUEUE_POLL_SECONDS = 5
VERDICTS = {"approve": True, "reject": False}


def _duration(seconds: float | None) -> str:
    return human_ms(seconds * 1000) if seconds is not None else "—"


def _metrics() -> dict:
    metrics = selectors.approval_metrics(days=METRICS_DAYS)
    times = page_selectors.decision_times(days=METRICS_DAYS)
    return {"metrics": metrics, "p50": _duration(times.p50), "p90": _duration(times.p90)}


@require(Capability.VIEW)
def queue(request):
    """Pending requests, least time left first; htmx re-fetches the rows every few seconds."""
    form = QueueFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    filters = form.filters() if form.is_bound else {}
    # A bad filter shows no rows: the whole queue would answer another question.
    rows = page_selectors.open_queue(**filters) if valid else ActionRequest.objects.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filtered": bool(filters) or not valid,
        "pending_count": selectors.pending_count(),
        "poll_seconds": QUEUE_POLL_SECONDS,
        "fragment": wants_fragment(request),
    }
    if not context["fragment"]:
        context |= _metrics() | {
            "choices": page_selectors.queue_choices(),
            "recent": page_selectors.recently_decided(),
        }
    return render_page_or_fragment(
        request, "governance/queue.html", "governance/partials/queue.html", context
    )


# htmx stops polling on this status; the empty body removes the badge.
STOP_POLLING = 286


def pending_badge(request):
    """The nav badge alone: one indexed count, polled by every page's navigation.

    Not behind `require`: once the session ends, htmx would follow the redirect to sign-in
    and swap that page into the nav; a person without access stops the polling instead."""
    if not user_can(request.user, Capability.VIEW):
        return HttpResponse("", status=STOP_POLLING)
    return render(
        request, "governance/partials/pending_badge.html", {"pending_count": selectors.pending_count()}
    )


def _request(uuid) -> ActionRequest:
    return get_object_or_404(selectors.request_list(), uuid=uuid)


def _review_page(request, action_request: ActionRequest, forms: dict[str, DecideForm] | None = None):
    context_data = selectors.review_context(action_request)
    approvals_given = sum(1 for a in context_data.approvals if a.verdict == "approve")
    now = timezone.now()
    overdue = (
        action_request.is_pending
        and action_request.expires_at is not None
        and action_request.expires_at <= now
    )
    context = {
        "r": action_request,
        "review": context_data,
        "params_json": pretty_json(action_request.params),
        "outcome_json": pretty_json(action_request.outcome_output),
        "approvals_given": approvals_given,
        "overdue": overdue,
        "rule_definition": page_selectors.rule_definition(action_request.policy_version, action_request.rule),
        "forms": forms or {verdict: DecideForm(verdict=verdict) for verdict in VERDICTS},
        "decidable": action_request.is_pending and not overdue,
    }
    return form_page(request, "governance/review.html", context, refused=forms is not None)


@require(Capability.VIEW)
def review(request, uuid):
    return _review_page(request, _request(uuid))


def _decided_message(decided: ActionRequest, approve: bool, given: int) -> str:
    if decided.status == RequestStatus.APPROVED:
        return f"Approved: {decided.agent.slug} may {decided.action} on {decided.resource}. The agent is told allow."
    if decided.status == RequestStatus.REJECTED:
        return f"Rejected: {decided.agent.slug} is told deny, with your comment."
    return (
        f"Your approval is recorded ({given} of {decided.approvals_required}). "
        "The request waits for another reviewer."
    )


@require(Capability.DECIDE_APPROVALS)
@require_POST
def decide(request, uuid, verdict: str):
    """Approve or reject; a refusal (four-eyes, decided, expired, no comment) is a form error."""
    action_request = _request(uuid)
    approve = VERDICTS[verdict]
    forms = {name: DecideForm(request.POST if name == verdict else None, verdict=name) for name in VERDICTS}
    form = forms[verdict]
    if form.is_valid():
        decided = call_service(
            form,
            services.approval_decide,
            request=action_request,
            actor=request.user,
            approve=approve,
            comment=form.cleaned_data["comment"],
        )
        if decided is not None:
            given = decided.approvals.filter(verdict="approve").count()
            messages.success(request, _decided_message(decided, approve, given))
            return redirect("governance:review", uuid=decided.uuid)
    # Reload: a refusal may be because the request changed meanwhile (decided, expired).
    return _review_page(request, _request(uuid), forms)

"""Reads worth naming, for the governance pages and API."""

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.governance.models import (
    ActionRequest,
    AgentLimits,
    Approval,
    ApprovalVerdict,
    PolicyVersion,
    RequestStatus,
    ResourceHold,
    Verdict,
)
from apps.governance.policy import glob_match

RECENT = timedelta(hours=24)


def review_path(request: ActionRequest) -> str:
    """The review page's path."""
    return reverse("governance:review", kwargs={"uuid": request.uuid})


def request_list() -> QuerySet[ActionRequest]:
    return ActionRequest.objects.select_related("agent", "decided_by")


def request_of_agent(agent) -> QuerySet[ActionRequest]:
    """An agent sees only its own requests."""
    return request_list().filter(agent=agent)


def pending_queue(
    *, agent: str = "", tier: str = "", action: str = "", resource: str = ""
) -> QuerySet[ActionRequest]:
    """Pending requests, the one expiring first first. Filters: agent slug, risk tier,
    action and resource (substring)."""
    queue = (
        request_list()
        .filter(status=RequestStatus.PENDING)
        .annotate(approvals_given=Count("approvals", filter=Q(approvals__verdict=ApprovalVerdict.APPROVE)))
    )
    if agent:
        queue = queue.filter(agent__slug=agent)
    if tier:
        queue = queue.filter(agent__risk_tier=tier)
    if action:
        queue = queue.filter(action__icontains=action)
    if resource:
        queue = queue.filter(resource__icontains=resource)
    return queue.order_by("expires_at", "id")


def pending_count() -> int:
    """For the navigation badge: pending and not yet expired."""
    return ActionRequest.objects.filter(status=RequestStatus.PENDING, expires_at__gt=timezone.now()).count()


def holds_matching(resource: str, *, exclude_agent=None) -> list[ResourceHold]:
    """Active holds whose pattern covers the resource."""
    holds = ResourceHold.objects.active().select_related("author_user", "author_agent")
    if exclude_agent is not None:
        holds = holds.exclude(author_agent=exclude_agent)
    return [hold for hold in holds if glob_match(hold.pattern, resource)]


def hold_list(*, active: bool | None = True) -> QuerySet[ResourceHold]:
    holds = ResourceHold.objects.select_related(
        "author_user", "author_agent", "released_by", "released_by_agent"
    )
    if active is True:
        holds = holds.active()
    elif active is False:
        holds = holds.exclude(pk__in=ResourceHold.objects.active().values("pk"))
    return holds


@dataclass
class ReviewContext:
    request: ActionRequest
    approvals: list[Approval]
    trace_events: list[AuditEvent]  # the agent's decision trace: events with the same trace id
    holds: list[ResourceHold]  # active holds covering the resource
    conflicts: list[ActionRequest]  # other agents' open or recent requests on the same resource
    history: list[ActionRequest]  # this agent's recent requests on this resource
    similar: list[ActionRequest]  # decided requests for the same action on the same resource
    similar_counts: dict[str, int]  # status → count among the similar


def review_context(request: ActionRequest, *, limit: int = 20) -> ReviewContext:
    """Everything a reviewer needs on one page."""
    trace_events = (
        list(
            AuditEvent.objects.filter(trace_id=request.trace_id)
            .select_related("agent")
            .order_by("occurred_at", "id")[:200]
        )
        if request.trace_id
        else []
    )
    since = request.created_at - RECENT
    same_resource = request_list().filter(resource=request.resource).exclude(pk=request.pk)
    conflicts = list(
        same_resource.exclude(agent=request.agent)
        .filter(Q(status=RequestStatus.PENDING) | Q(created_at__gte=since))
        .order_by("-created_at")[:limit]
    )
    history = list(same_resource.filter(agent=request.agent).order_by("-created_at")[:limit])
    similar_qs = (
        request_list()
        .filter(action=request.action, resource=request.resource)
        .exclude(pk=request.pk)
        .exclude(status=RequestStatus.PENDING)
    )
    counts = dict(similar_qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return ReviewContext(
        request=request,
        approvals=list(request.approvals.select_related("reviewer")),
        trace_events=trace_events,
        holds=holds_matching(request.resource, exclude_agent=request.agent),
        conflicts=conflicts,
        history=history,
        similar=list(similar_qs.order_by("-created_at")[:limit]),
        similar_counts=counts,
    )


@dataclass
class ApprovalMetrics:
    days: int
    decided: int
    median_seconds: float | None  # time from request to decision, over approved/rejected
    expired: int
    pending: int
    per_reviewer: list[tuple[str, int, int]]  # (username, approvals, rejections)


def approval_metrics(*, days: int = 30) -> ApprovalMetrics:
    """Time to decision, expired count and verdicts per reviewer over the last `days`."""
    since = timezone.now() - timedelta(days=days)
    escalated = ActionRequest.objects.filter(verdict=Verdict.ESCALATE, created_at__gte=since)
    decided = list(
        escalated.filter(status__in=(RequestStatus.APPROVED, RequestStatus.REJECTED)).values_list(
            "created_at", "decided_at"
        )[:20000]
    )
    waits = [(done - asked).total_seconds() for asked, done in decided if done]
    per_reviewer = (
        Approval.objects.filter(created_at__gte=since)
        .values("reviewer__username")
        .annotate(
            approvals=Count("id", filter=Q(verdict=ApprovalVerdict.APPROVE)),
            rejections=Count("id", filter=Q(verdict=ApprovalVerdict.REJECT)),
        )
        .order_by("-approvals", "reviewer__username")
    )
    return ApprovalMetrics(
        days=days,
        decided=len(waits),
        median_seconds=median(waits) if waits else None,
        expired=escalated.filter(status=RequestStatus.EXPIRED).count(),
        pending=escalated.filter(status=RequestStatus.PENDING).count(),
        per_reviewer=[(r["reviewer__username"], r["approvals"], r["rejections"]) for r in per_reviewer],
    )


def policy_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.select_related("author").order_by("-number")


def policy_current() -> PolicyVersion | None:
    return policy_versions().first()


def limits_of(agent) -> AgentLimits | None:
    return AgentLimits.objects.filter(agent=agent).first()

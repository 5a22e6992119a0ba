"""What happens to a request after it is decided or escalated: reviewers' verdicts,
expiry, consumption of an approval, and the outcome the agent reports."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError, PermissionRefused
from apps.accounts.roles import Capability, user_can, user_roles
from apps.audit.models import EventStatus, EventType
from apps.audit.services import SYSTEM, record
from apps.governance.models import (
    ActionRequest,
    Approval,
    ApprovalVerdict,
    Decision,
    OutcomeStatus,
    RequestStatus,
)
from apps.governance.services.common import after_final_decision, params_hash, record_request_event

CLAIM_BATCH = 200


def _locked(request: ActionRequest) -> ActionRequest:
    return ActionRequest.objects.select_for_update().select_related("agent").get(pk=request.pk)


def _transition(request: ActionRequest, *, status: str, decision: str, **fields) -> None:
    """Pending → final, decided in the database: exactly one caller wins."""
    now = fields.setdefault("decided_at", timezone.now())
    changed = ActionRequest.objects.filter(pk=request.pk, status=RequestStatus.PENDING).update(
        status=status, decision=decision, **fields
    )
    if changed != 1:
        raise ConflictError("this request was decided a moment ago by someone else")
    request.status, request.decision, request.decided_at = status, decision, now
    for name, value in fields.items():
        setattr(request, name, value)


def _check_reviewer(request: ActionRequest, actor, approve: bool) -> None:
    if not user_can(actor, Capability.DECIDE_APPROVALS):
        raise PermissionRefused("only the reviewer role may decide approval requests")
    role = request.approver_role
    if role and not actor.is_superuser and role not in {r.value for r in user_roles(actor)}:
        raise PermissionRefused(f"this request needs a reviewer holding the {role} role")
    if approve and request.approvals_required >= 2 and request.agent.owner_id == actor.pk:
        raise PermissionRefused(
            f"four-eyes: you own {request.agent.slug}, and this action needs "
            f"{request.approvals_required} approvals from other people"
        )


@transaction.atomic
def approval_decide(*, request: ActionRequest, actor, approve: bool, comment: str = "") -> ActionRequest:
    """A reviewer approves or rejects a pending request.

    A rejection needs a comment and decides at once (deny). An approval counts once per
    person; the request becomes `approved` (allow) when `approvals_required` distinct
    reviewers have approved. Four-eyes: the agent's owner cannot approve when two or more
    approvals are required. Concurrent calls are serialised on the request row, and the
    final transition is a conditional update, so exactly one of them decides.
    Raises PermissionRefused, ApplicationError(field="comment") or ConflictError (already
    decided, expired, or this person already gave their verdict).
    """
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ApplicationError("say why you reject it: a rejection needs a comment", field="comment")
    request = _locked(request)
    if request.status != RequestStatus.PENDING:
        raise ConflictError(f"this request is already {request.status}")
    if request.expires_at is not None and request.expires_at <= timezone.now():
        raise ConflictError("this request has expired; the agent was told it is denied")
    _check_reviewer(request, actor, approve)
    if Approval.objects.filter(request=request, reviewer=actor).exists():
        raise ConflictError("you already gave your verdict on this request; a person counts once")
    Approval.objects.create(
        request=request,
        reviewer=actor,
        verdict=ApprovalVerdict.APPROVE if approve else ApprovalVerdict.REJECT,
        comment=comment,
    )
    approvals = Approval.objects.filter(request=request, verdict=ApprovalVerdict.APPROVE).count()
    if approve and approvals < request.approvals_required:
        record_request_event(
            request,
            actor=actor,
            name="approval.added",
            rationale=comment,
            data={"approvals": approvals, "approvals_required": request.approvals_required},
        )
        return request
    if approve:
        _transition(
            request,
            status=RequestStatus.APPROVED,
            decision=Decision.ALLOW,
            decided_by=actor,
            comment=comment,
            reason=f"approved by {approvals} reviewer(s)",
        )
    else:
        _transition(
            request,
            status=RequestStatus.REJECTED,
            decision=Decision.DENY,
            decided_by=actor,
            comment=comment,
            reason=f"rejected by {actor.get_username()}: {comment}",
        )
    record_request_event(
        request,
        actor=actor,
        name="approval.approved" if approve else "approval.rejected",
        rationale=comment,
        data={"approvals": approvals, "approvals_required": request.approvals_required},
    )
    after_final_decision(request, was_pending=True)
    return request


@transaction.atomic
def request_expire(*, request_id: int, now=None) -> bool:
    """Deny one overdue pending request with reason `expired`; False if it is not due
    (decided meanwhile, or already expired by another tick)."""
    now = now or timezone.now()
    request = (
        ActionRequest.objects.select_for_update(skip_locked=True)
        .select_related("agent")
        .filter(pk=request_id, status=RequestStatus.PENDING, expires_at__lte=now)
        .first()
    )
    if request is None:
        return False
    _transition(
        request, status=RequestStatus.EXPIRED, decision=Decision.DENY, reason="expired", decided_at=now
    )
    record_request_event(request, actor=SYSTEM, name="approval.expired")
    after_final_decision(request, was_pending=True)
    return True


def requests_expire_due(now=None) -> int:
    """Beat: expire every overdue pending request, one transaction each; safe to run twice."""
    now = now or timezone.now()
    due = ActionRequest.objects.filter(status=RequestStatus.PENDING, expires_at__lte=now).values_list(
        "pk", flat=True
    )[:CLAIM_BATCH]
    return sum(request_expire(request_id=pk, now=now) for pk in list(due))


def requests_warn_due(now=None) -> int:
    """Beat: warn reviewers about requests close to expiry, once each (claimed by setting
    `warned_at` conditionally), and raise an approval_waiting alert for each."""
    from apps.alerts.services import alert_fire
    from apps.governance.services.common import approval_fingerprint
    from apps.governance.services.notifications import reviewers_notify

    now = now or timezone.now()
    horizon = now + timedelta(minutes=settings.GOVERNANCE_WARN_BEFORE_EXPIRY_MINUTES)
    due = ActionRequest.objects.filter(
        status=RequestStatus.PENDING, warned_at__isnull=True, expires_at__lte=horizon, expires_at__gt=now
    ).values_list("pk", flat=True)[:CLAIM_BATCH]
    warned = 0
    for pk in list(due):
        with transaction.atomic():
            if not ActionRequest.objects.filter(pk=pk, warned_at__isnull=True).update(warned_at=now):
                continue  # another tick claimed it
            request = ActionRequest.objects.select_related("agent").get(pk=pk)
            minutes = max(int((request.expires_at - now).total_seconds() // 60), 0)
            alert_fire(
                fingerprint=approval_fingerprint(request),
                kind="approval_waiting",
                severity="warning",
                title=f"{request.agent.slug}: {request.action} on {request.resource} expires in {minutes} min",
                summary=request.reason,
                agent=request.agent,
                details={"request": str(request.uuid), "expires_at": request.expires_at.isoformat()},
            )
            transaction.on_commit(lambda request=request: reviewers_notify(request=request, warning=True))
            warned += 1
    return warned


def _own_request(request: ActionRequest, actor) -> ActionRequest:
    from apps.registry.models import Agent

    request = _locked(request)
    if not isinstance(actor, Agent) or actor.pk != request.agent_id:
        raise PermissionRefused("an agent may only act on its own requests")
    return request


@transaction.atomic
def approval_consume(
    *, request: ActionRequest, actor, action: str, resource: str, params: dict[str, Any]
) -> ActionRequest:
    """The agent uses its approval: it covers exactly the approved action, resource and
    params (by hash), once. Raises ApplicationError naming what differs, ConflictError if
    the request is not approved or the approval was used."""
    request = _own_request(request, actor)
    if request.status != RequestStatus.APPROVED:
        raise ConflictError(f"there is no approval to use: this request is {request.status}")
    for field, given, approved in (
        ("action", action, request.action),
        ("resource", resource, request.resource),
    ):
        if given != approved:
            raise ApplicationError(f"the approval covers {field} {approved!r}, not {given!r}", field=field)
    if params_hash(params) != request.params_hash:
        raise ApplicationError("the approval covers other params than these", field="params")
    now = timezone.now()
    if not ActionRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=now):
        raise ConflictError(f"this approval was already used at {request.used_at:%Y-%m-%d %H:%M:%S}Z")
    request.used_at = now
    record_request_event(request, actor=actor, name="approval.used")
    return request


@transaction.atomic
def action_outcome_record(
    *, request: ActionRequest, actor, status: str, output: Any = None, duration_ms: float | None = None
) -> ActionRequest:
    """Record what happened when the agent acted; audited with the request's action_id.

    Only for allowed or approved requests, once. Reporting the outcome of an approved
    request uses its approval if `approval_consume` was not called first."""
    request = _own_request(request, actor)
    if status not in OutcomeStatus.values:
        raise ApplicationError(f"one of {', '.join(OutcomeStatus.values)}", field="status")
    if duration_ms is not None and (not isinstance(duration_ms, int | float) or duration_ms < 0):
        raise ApplicationError("zero or more milliseconds", field="duration_ms")
    if request.status not in (RequestStatus.ALLOWED, RequestStatus.APPROVED):
        raise ConflictError(
            f"this action was not allowed (it is {request.status}); there is no outcome to record"
        )
    if request.outcome_at is not None:
        raise ConflictError("the outcome of this action was already recorded")
    now = timezone.now()
    request.outcome_status, request.outcome_output = status, output
    request.outcome_duration_ms, request.outcome_at = duration_ms, now
    fields = ["outcome_status", "outcome_output", "outcome_duration_ms", "outcome_at"]
    if request.status == RequestStatus.APPROVED and request.used_at is None:
        request.used_at = now
        fields.append("used_at")
    request.save(update_fields=fields)
    record(
        actor=actor,
        type=EventType.ACTION,
        name=f"{request.action}.{status}",
        agent=request.agent,
        resource=request.resource,
        status=EventStatus.ERROR if status == OutcomeStatus.FAILED else EventStatus.OK,
        action_id=str(request.uuid),
        trace_id=request.trace_id,
        span_id=request.span_id,
        data={"outcome": status, "output": output, "duration_ms": duration_ms},
    )
    return request

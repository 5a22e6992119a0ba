"""Deciding an agent's action request: the hot path behind POST /api/v1/actions/."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from agentgov.rows import RowWriter
from apps.governance.models import (
    ActionRequest,
    Decision,
    RequestStatus,
    ResourceHold,
    Verdict,
)
from apps.governance.policy import Outcome, agent_facts, glob_match
from apps.governance.policy.engine import DEFAULT_EXPIRY_MINUTES
from apps.governance.services.common import after_final_decision, params_hash, record_request_event
from apps.governance.services.decision_inputs import ActiveHold, DecisionInputs, decision_inputs
from apps.governance.services.limits import limits_check, spend_of
from apps.governance.services.policies import policy_of_key

DEFAULT_BUDGET_FIELDS = ["amount", "cost_usd"]
_REQUEST_WRITER = RowWriter(ActionRequest)  # every decision inserts one: no ORM compile
_url = URLValidator(schemes=["http", "https"])
_STATUS = {
    "allow": (Decision.ALLOW, RequestStatus.ALLOWED),
    "deny": (Decision.DENY, RequestStatus.DENIED),
    "require_approval": (Decision.PENDING, RequestStatus.PENDING),
}


def _validate(action: str, resource: str, params: Any, callback_url: str, idempotency_key: str) -> None:
    if not isinstance(action, str) or not action.strip() or len(action) > 200:
        raise ApplicationError("a non-empty action name of at most 200 characters", field="action")
    if not isinstance(resource, str) or not resource.strip() or len(resource) > 500:
        raise ApplicationError("a non-empty resource of at most 500 characters", field="resource")
    if not isinstance(params, dict):
        raise ApplicationError("params must be a JSON object", field="params")
    if callback_url:
        try:
            _url(callback_url)
        except ValidationError:
            raise ApplicationError("an http(s) URL", field="callback_url") from None
    if len(idempotency_key) > 128:
        raise ApplicationError("at most 128 characters", field="idempotency_key")


def _hold_on(agent, resource: str, holds: list[ActiveHold]) -> ResourceHold | None:
    """An active hold by someone else (a person, or another agent) covering the resource."""
    for hold in holds:
        if hold.author_agent_id != agent.pk and glob_match(hold.pattern, resource):
            # Only id and pattern on the hot path; the matching hold (rare) is read whole.
            return ResourceHold.objects.select_related("author_user", "author_agent").get(pk=hold.pk)
    return None


def _ruling(
    agent, inputs: DecisionInputs, *, action: str, resource: str, params: dict, spend, now
) -> tuple[Outcome, int | None]:
    """Lifecycle, then limits, then holds, then policy. A policy deny beats a limit's or a
    hold's escalation: escalating what is forbidden anyway would only waste a reviewer."""
    if not agent.may_act:
        return Outcome(
            "deny", "lifecycle", f"agent {agent.slug!r} is {agent.status}; its actions are refused"
        ), None
    hit = limits_check(agent, inputs.limits, action=action, resource=resource, spend=spend, now=now)
    if hit is not None and hit.deny:
        return Outcome("deny", hit.rule, hit.reason), None
    policy = policy_of_key(inputs.policy_key)
    escalation = (hit.rule, hit.reason) if hit is not None else None
    hold = _hold_on(agent, resource, inputs.holds)
    if hold is not None:
        reason = f"resource is on hold #{hold.pk} ({hold.pattern}) by {hold.author_label}: {hold.reason}"
        if policy.holds == "deny":
            return Outcome("deny", f"hold:{hold.pk}", reason), policy.version
        escalation = escalation or (f"hold:{hold.pk}", reason)
    outcome = policy.evaluate(agent=agent_facts(agent), action=action, resource=resource, params=params)
    if outcome.effect == "deny" or escalation is None:
        return outcome, policy.version
    escalated = outcome.effect == "require_approval"
    return (
        Outcome(
            "require_approval",
            escalation[0],
            escalation[1],
            outcome.approvals if escalated else 1,
            outcome.approver_role if escalated else "reviewer",
            outcome.expires_in_minutes if escalated else DEFAULT_EXPIRY_MINUTES,
        ),
        policy.version,
    )


def _replay(existing: ActionRequest, action: str, resource: str, digest: str) -> ActionRequest:
    if (existing.action, existing.resource, existing.params_hash) != (action, resource, digest):
        raise ConflictError(
            "this idempotency_key was already used for a different action, resource or params",
            field="idempotency_key",
        )
    existing.replayed = True
    return existing


@transaction.atomic
def action_request(
    *,
    actor,
    action: str,
    resource: str,
    params: dict[str, Any] | None = None,
    rationale: str = "",
    trace_id: str = "",
    span_id: str = "",
    callback_url: str = "",
    idempotency_key: str = "",
) -> ActionRequest:
    """Decide whether agent `actor` may do `action` on `resource` with `params`.

    Order: a paused, quarantined or retired agent is denied; then the agent's limits
    (resource scope, rate, daily budget; deny or escalate); then active holds by a person
    or another agent (escalate, or deny if the policy says `holds: deny`); then the policy
    in force (first matching rule, else the tier default). The decision and the rule that
    made it are stored and audited (action_id = the request's uuid).

    With an `idempotency_key` already used by this agent, the existing request is returned
    (`.replayed` is True) if it asked for the same thing, else ConflictError.
    Raises ApplicationError naming the field for bad input; nothing is written then.
    """
    agent = actor
    params = {} if params is None else params
    _validate(action, resource, params, callback_url, idempotency_key)
    digest = params_hash(params)
    if idempotency_key:
        existing = ActionRequest.objects.filter(agent=agent, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, action, resource, digest)
    now = timezone.now()
    inputs = decision_inputs(agent.pk, now)  # locks the agent's limits until the end
    limits = inputs.limits
    spend = spend_of(params, limits.budget_fields if limits is not None else DEFAULT_BUDGET_FIELDS)
    outcome, version = _ruling(
        agent, inputs, action=action, resource=resource, params=params, spend=spend, now=now
    )
    decision, status = _STATUS[outcome.effect]
    pending = outcome.effect == "require_approval"
    request = ActionRequest(
        agent=agent,
        action=action,
        resource=resource,
        params=params,
        params_hash=digest,
        rationale=rationale,
        trace_id=trace_id,
        span_id=span_id,
        callback_url=callback_url,
        idempotency_key=idempotency_key,
        spend=spend,
        verdict=Verdict(outcome.effect),
        decision=decision,
        status=status,
        reason=outcome.reason,
        rule=outcome.rule,
        policy_version=version,
        approver_role=outcome.approver_role,
        approvals_required=outcome.approvals if pending else 0,
        expires_at=now + timedelta(minutes=outcome.expires_in_minutes) if pending else None,
        created_at=now,
        decided_at=None if pending else now,
    )
    if not idempotency_key:
        _REQUEST_WRITER.insert(request)
    else:
        try:
            with transaction.atomic():  # a savepoint only where a unique clash can happen
                _REQUEST_WRITER.insert(request)
        except IntegrityError:
            # The same key raced us here: the first writer's request is the answer.
            existing = ActionRequest.objects.get(agent=agent, idempotency_key=idempotency_key)
            return _replay(existing, action, resource, digest)
    request.replayed = False
    record_request_event(
        request,
        actor=agent,
        name={"allow": "action.allowed", "deny": "action.denied"}.get(outcome.effect, "action.escalated"),
        rationale=rationale,
        data={"params_hash": digest, "approvals_required": request.approvals_required},
    )
    if pending:
        from apps.governance import tasks

        tasks.notify_reviewers.delay_on_commit(request.pk)
    else:
        after_final_decision(request, was_pending=False)
    return request

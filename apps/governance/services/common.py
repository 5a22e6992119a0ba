"""Pieces every governance service shares: the params hash, the audit row of a request,
and what happens after any final decision (callback, alert resolved)."""

import hashlib
import json
from typing import Any

from apps.alerts.services import alert_resolve
from apps.audit.models import EventStatus, EventType
from apps.audit.services import record
from apps.governance.models import ActionRequest, Decision

MAX_PARAMS_DEPTH = 16


def params_hash(params: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of params: what an approval is bound to."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def approval_fingerprint(request: ActionRequest) -> str:
    return f"approval_waiting:{request.uuid}"


def record_request_event(
    request: ActionRequest, *, actor, name: str, data: dict | None = None, rationale: str = ""
) -> None:
    """The request's audit event, linked to it by action_id and placed in its trace."""
    denied = request.decision == Decision.DENY
    record(
        actor=actor,
        type=EventType.ACCESS if name.startswith("action.") else EventType.CHANGE,
        name=name,
        agent=request.agent,
        resource=request.resource,
        rationale=rationale,
        status=EventStatus.DENIED if denied else EventStatus.OK,
        action_id=str(request.uuid),
        trace_id=request.trace_id,
        span_id=request.span_id,
        data={
            "action": request.action,
            "decision": request.decision,
            "status": request.status,
            "rule": request.rule,
            "reason": request.reason,
            "policy_version": request.policy_version,
            **(data or {}),
        },
    )


def after_final_decision(request: ActionRequest, *, was_pending: bool) -> None:
    """Tell the agent (callback) and close the waiting alert once the transaction commits."""
    from apps.governance import tasks

    if request.callback_url:
        tasks.deliver_callback.delay_on_commit(request.pk)
    if was_pending and request.warned_at is not None:
        # Only a request that waited past its warning time has an alert to close.
        alert_resolve(fingerprint=approval_fingerprint(request))

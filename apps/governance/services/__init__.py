"""Every write in governance. Pages, the API, commands and tasks call these; each rule and
each audit event lives in exactly one place.

- `action_request(actor=agent, action, resource, params, ...)` → ActionRequest (decided)
- `approval_decide(request, actor=user, approve, comment)` → ActionRequest
- `approval_consume(request, actor=agent, action, resource, params)`; `action_outcome_record(...)`
- `request_expire(request_id)`, `requests_expire_due()`, `requests_warn_due()` (beat)
- `hold_create(actor, pattern, reason, ends_at)`, `hold_release(hold, actor, reason)`
- `agent_limits_set(agent, actor, ...)`
- `policy_publish(actor, document|yaml, comment)`, `policy_in_force()`, `policy_simulate(document, days)`
- `callback_deliver(request_id, attempt)` (task), `reviewers_notify(request, warning)`
"""

from apps.governance.services.approvals import (
    action_outcome_record,
    approval_consume,
    approval_decide,
    request_expire,
    requests_expire_due,
    requests_warn_due,
)
from apps.governance.services.callbacks import callback_deliver, signature, verify_signature
from apps.governance.services.common import params_hash
from apps.governance.services.decisions import action_request
from apps.governance.services.holds import hold_create, hold_release
from apps.governance.services.limits import agent_limits_set
from apps.governance.services.notifications import reviewers_notify
from apps.governance.services.policies import compiled_version, policy_in_force, policy_publish
from apps.governance.services.simulation import Simulation, policy_simulate

__all__ = [
    "Simulation",
    "action_outcome_record",
    "action_request",
    "agent_limits_set",
    "approval_consume",
    "approval_decide",
    "callback_deliver",
    "compiled_version",
    "hold_create",
    "hold_release",
    "params_hash",
    "policy_in_force",
    "policy_publish",
    "policy_simulate",
    "request_expire",
    "requests_expire_due",
    "requests_warn_due",
    "reviewers_notify",
    "signature",
    "verify_signature",
]

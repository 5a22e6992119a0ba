"""Governance pages: approvals (queue, review), policies (rules, edits, versions, simulation),
holds and agent limits. Reads go through selectors, every write through a service."""

from apps.governance.views.approvals import decide, pending_badge, queue, review
from apps.governance.views.holds import hold_list, hold_release
from apps.governance.views.limits import agent_limits
from apps.governance.views.policies import (
    policy_download,
    policy_edit,
    policy_overview,
    policy_simulate,
    policy_version,
)

__all__ = [
    "agent_limits",
    "decide",
    "hold_list",
    "hold_release",
    "pending_badge",
    "policy_download",
    "policy_edit",
    "policy_overview",
    "policy_simulate",
    "policy_version",
    "queue",
    "review",
]

"""Policy engine (pure) and YAML documents; see engine.py for the rule format."""

from apps.governance.policy.documents import normalize_document, policy_diff, policy_from_yaml, policy_to_yaml
from apps.governance.policy.engine import (
    EMPTY_POLICY,
    OPERATORS,
    TIER_DEFAULTS,
    CompiledPolicy,
    Outcome,
    PolicyInvalid,
    agent_facts,
    compile_policy,
    glob_match,
    resolve,
)

__all__ = [
    "EMPTY_POLICY",
    "OPERATORS",
    "TIER_DEFAULTS",
    "CompiledPolicy",
    "Outcome",
    "PolicyInvalid",
    "agent_facts",
    "compile_policy",
    "glob_match",
    "normalize_document",
    "policy_diff",
    "policy_from_yaml",
    "policy_to_yaml",
    "resolve",
]

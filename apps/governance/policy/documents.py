"""Policy documents as YAML, so policy can live in code review, and their diffs."""

import difflib
from typing import Any

import yaml

from apps.governance.policy.engine import RULE_FIELDS, PolicyInvalid, compile_policy


def _ordered_rule(rule: dict) -> dict:
    ordered = {key: rule[key] for key in RULE_FIELDS if key in rule}
    ordered.update({key: rule[key] for key in sorted(rule) if key not in ordered})
    return ordered


def policy_to_yaml(document: dict) -> str:
    """The document as YAML, rules in order, fields in reading order."""
    out = {
        "holds": document.get("holds", "escalate"),
        "rules": [_ordered_rule(r) for r in document.get("rules", [])],
    }
    return yaml.safe_dump(out, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def policy_from_yaml(text: str) -> dict:
    """Parse and validate YAML into a policy document; raises PolicyInvalid."""
    try:
        document = yaml.safe_load(text) if text.strip() else {"rules": []}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyInvalid(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", field="yaml") from None
    document = normalize_document(document)
    compile_policy(document)
    return document


def normalize_document(document: Any) -> dict:
    """The stored shape: {"holds", "rules"}; validation happens in compile_policy."""
    if not isinstance(document, dict):
        raise PolicyInvalid("a policy is a mapping with 'rules' (and optionally 'holds')")
    return {
        "holds": document.get("holds", "escalate"),
        "rules": document.get("rules", []),
        **{key: value for key, value in document.items() if key not in ("holds", "rules")},
    }


def policy_diff(old: dict | None, new: dict, *, old_label: str, new_label: str) -> str:
    """A unified diff of the two documents' YAML ('' when equal)."""
    before = policy_to_yaml(old).splitlines(keepends=True) if old is not None else []
    after = policy_to_yaml(new).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, fromfile=old_label, tofile=new_label))

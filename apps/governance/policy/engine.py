"""The policy engine: pure Python, no database.

A policy document is `{"holds": "escalate"|"deny", "rules": [rule, ...]}`; a rule is

    name: refunds-over-1000          # unique, required
    agent: any | slug:<slug> | tag:<tag> | tier:<low|medium|high|critical>
    action: "refund.*"               # glob, default "*"
    resource: "stripe:*"             # glob, default "*"
    when:                            # all must hold; default none
      - {path: params.amount, op: gt, value: 1000}
    effect: allow | deny | require_approval
    approvers: 2                     # require_approval only: distinct approvers (default 1)
    approver_role: reviewer          # require_approval only (default reviewer)
    expires_in_minutes: 60           # require_approval only (default 60)
    reason: "Refunds over 1000 need two people"   # optional, shown to the agent

Rules are tried in order; the first match decides. When none matches, the agent's risk
tier decides (`TIER_DEFAULTS`). `compile_policy` validates once and returns a
`CompiledPolicy` whose `evaluate` only runs precompiled regexes and comparisons.
"""

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agentgov.errors import ApplicationError
from apps.accounts.roles import Role

EFFECTS = ("allow", "deny", "require_approval")
HOLD_MODES = ("escalate", "deny")
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "matches")
AGENT_KINDS = ("slug", "tag", "tier")
TIERS = ("low", "medium", "high", "critical")
ROOTS = ("params", "action", "resource", "agent")
# The fields a rule may have, in the order people read them (YAML export keeps this order).
RULE_FIELDS = (
    "name",
    "agent",
    "action",
    "resource",
    "when",
    "effect",
    "approvers",
    "approver_role",
    "expires_in_minutes",
    "reason",
)
DEFAULT_EXPIRY_MINUTES = 60
MAX_APPROVERS = 5
MAX_EXPIRY_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Outcome:
    """What the policy says about one request."""

    effect: str  # allow | deny | require_approval
    rule: str
    reason: str
    approvals: int = 0
    approver_role: str = ""
    expires_in_minutes: int = 0


# Low and medium risk proceed; high waits for one person, critical for two.
TIER_DEFAULTS: dict[str, Outcome] = {
    "low": Outcome("allow", "tier-default:low", "no rule matched; low-risk agents are allowed by default"),
    "medium": Outcome(
        "allow", "tier-default:medium", "no rule matched; medium-risk agents are allowed by default"
    ),
    "high": Outcome(
        "require_approval",
        "tier-default:high",
        "no rule matched; a high-risk agent's actions need one approval",
        1,
        Role.REVIEWER.value,
        DEFAULT_EXPIRY_MINUTES,
    ),
    "critical": Outcome(
        "require_approval",
        "tier-default:critical",
        "no rule matched; a critical-risk agent's actions need two approvals",
        2,
        Role.REVIEWER.value,
        DEFAULT_EXPIRY_MINUTES,
    ),
}


class PolicyInvalid(ApplicationError):
    """A rule is wrong; `field` is `rules[<index>].<field>` and the message names the rule."""

    def __init__(self, message: str, *, index: int | None = None, name: str = "", field: str = "") -> None:
        where = f"rules[{index}]" if index is not None else ""
        # People count rules from 1, as the Policies page numbers them; `field` stays a 0-based path.
        number = f"rule {index + 1}" if index is not None else ""
        label = f"{number} ({name!r})" if number and name else number
        full_field = ".".join(part for part in (where, field) if part) or None
        super().__init__(f"{label}: {message}" if label else message, field=full_field)
        self.index, self.rule_name = index, name


_MISSING = object()


def resolve(context: dict, path: str) -> Any:
    """The value at a dotted path (`params.customer.country`), or _MISSING."""
    value: Any = context
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    # Numbers compare with numbers, strings with strings; anything else never matches.
    def check(actual: Any, expected: Any) -> bool:
        if _number(actual) and _number(expected):
            return compare(actual, expected)
        if isinstance(actual, str) and isinstance(expected, str):
            return compare(actual, expected)
        return False

    return check


COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda actual, expected: actual == expected,
    "ne": lambda actual, expected: actual != expected,
    "lt": _ordered(lambda a, e: a < e),
    "lte": _ordered(lambda a, e: a <= e),
    "gt": _ordered(lambda a, e: a > e),
    "gte": _ordered(lambda a, e: a >= e),
    "in": lambda actual, expected: actual in expected,
    "matches": lambda actual, pattern: isinstance(actual, str) and pattern.search(actual) is not None,
}


@dataclass(frozen=True)
class _Rule:
    name: str
    agent_kind: str  # "" for any
    agent_value: str
    action: re.Pattern | None  # None: any
    resource: re.Pattern | None
    conditions: tuple[tuple[str, Callable[[Any, Any], bool], Any], ...]
    outcome: Outcome

    def matches(self, agent: dict, action: str, resource: str, context: dict) -> bool:
        if self.agent_kind:
            if self.agent_kind == "tag":
                if self.agent_value not in agent["tags"]:
                    return False
            elif agent[self.agent_kind] != self.agent_value:
                return False
        if self.action is not None and self.action.match(action) is None:
            return False
        if self.resource is not None and self.resource.match(resource) is None:
            return False
        for path, compare, expected in self.conditions:
            actual = resolve(context, path)
            if actual is _MISSING or not compare(actual, expected):
                return False
        return True


def glob_regex(pattern: str) -> re.Pattern | None:
    """A compiled, case-sensitive glob (`*`, `?`, `[...]`); None for the match-all `*`."""
    if pattern in ("*", ""):
        return None
    return re.compile(fnmatch.translate(pattern))


def glob_match(pattern: str, value: str) -> bool:
    compiled = _cached_glob(pattern)
    return compiled is None or compiled.match(value) is not None


@lru_cache(maxsize=4096)
def _cached_glob(pattern: str) -> re.Pattern | None:
    return glob_regex(pattern)


@dataclass(frozen=True)
class CompiledPolicy:
    version: int | None
    holds: str
    rules: tuple[_Rule, ...]

    def evaluate(self, *, agent: dict, action: str, resource: str, params: dict) -> Outcome:
        """The first matching rule's outcome, else the tier default.

        `agent` is `agent_facts(agent)`: {"slug", "tier", "tags", "team", "environment"}.
        """
        context = {"params": params, "action": action, "resource": resource, "agent": agent}
        for rule in self.rules:
            if rule.matches(agent, action, resource, context):
                return rule.outcome
        return TIER_DEFAULTS[agent["tier"]]


def agent_facts(agent) -> dict:
    """What rules may look at about an agent (plain data, so simulation can use stored rows)."""
    return {
        "slug": agent.slug,
        "tier": agent.risk_tier,
        "tags": list(agent.tags or ()),
        "team": agent.team,
        "environment": agent.environment,
    }


def _text(rule: dict, key: str, index: int, name: str, default: str, max_length: int) -> str:
    value = rule.get(key, default)
    if not isinstance(value, str):
        raise PolicyInvalid("must be text", index=index, name=name, field=key)
    if len(value) > max_length:
        raise PolicyInvalid(f"is longer than {max_length} characters", index=index, name=name, field=key)
    return value


def _int(rule: dict, key: str, index: int, name: str, default: int, low: int, high: int) -> int:
    value = rule.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise PolicyInvalid(f"must be a whole number from {low} to {high}", index=index, name=name, field=key)
    return value


def _agent_matcher(rule: dict, index: int, name: str) -> tuple[str, str]:
    spec = _text(rule, "agent", index, name, "any", 100).strip()
    if spec in ("any", "*"):
        return "", ""
    kind, sep, value = spec.partition(":")
    if not sep or kind not in AGENT_KINDS or not value:
        raise PolicyInvalid(
            f"{spec!r} is not 'any', 'slug:<slug>', 'tag:<tag>' or 'tier:<tier>'",
            index=index,
            name=name,
            field="agent",
        )
    if kind == "tier" and value not in TIERS:
        raise PolicyInvalid(f"tier must be one of {', '.join(TIERS)}", index=index, name=name, field="agent")
    return kind, value


def _condition(raw: Any, index: int, name: str, position: int) -> tuple[str, Callable, Any]:
    field = f"when[{position}]"
    if not isinstance(raw, dict) or set(raw) - {"path", "op", "value"} or not {"path", "op"} <= set(raw):
        raise PolicyInvalid("a condition is {path, op, value}", index=index, name=name, field=field)
    path, op, value = raw["path"], raw["op"], raw.get("value")
    if not isinstance(path, str) or path.split(".")[0] not in ROOTS:
        raise PolicyInvalid(
            f"path must start with one of {', '.join(ROOTS)} (e.g. params.amount)",
            index=index,
            name=name,
            field=f"{field}.path",
        )
    if op not in OPERATORS:
        raise PolicyInvalid(
            f"op must be one of {', '.join(OPERATORS)}", index=index, name=name, field=f"{field}.op"
        )
    if op == "in":
        if not isinstance(value, list):
            raise PolicyInvalid("'in' needs a list value", index=index, name=name, field=f"{field}.value")
        value = tuple(value)
    elif op == "matches":
        if not isinstance(value, str):
            raise PolicyInvalid(
                "'matches' needs a regular expression", index=index, name=name, field=f"{field}.value"
            )
        try:
            value = re.compile(value)
        except re.error as exc:
            raise PolicyInvalid(
                f"bad regular expression: {exc}", index=index, name=name, field=f"{field}.value"
            ) from None
    elif op in ("lt", "lte", "gt", "gte") and not (_number(value) or isinstance(value, str)):
        raise PolicyInvalid(
            f"'{op}' needs a number or text value", index=index, name=name, field=f"{field}.value"
        )
    return path, COMPARATORS[op], value


def _compile_rule(rule: Any, index: int, seen: set[str]) -> _Rule:
    if not isinstance(rule, dict):
        raise PolicyInvalid("a rule is a mapping of fields", index=index)
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyInvalid("every rule needs a name", index=index, field="name")
    name = name.strip()
    unknown = sorted(set(rule) - set(RULE_FIELDS))
    if unknown:
        raise PolicyInvalid(f"unknown field {unknown[0]!r}", index=index, name=name, field=unknown[0])
    if len(name) > 100:
        raise PolicyInvalid("a name is at most 100 characters", index=index, name=name, field="name")
    if name in seen:
        raise PolicyInvalid("another rule has this name", index=index, name=name, field="name")
    seen.add(name)
    effect = rule.get("effect")
    if effect not in EFFECTS:
        raise PolicyInvalid(
            f"effect must be one of {', '.join(EFFECTS)}", index=index, name=name, field="effect"
        )
    agent_kind, agent_value = _agent_matcher(rule, index, name)
    when = rule.get("when", [])
    if not isinstance(when, list):
        raise PolicyInvalid("must be a list of conditions", index=index, name=name, field="when")
    conditions = tuple(_condition(raw, index, name, position) for position, raw in enumerate(when))
    reason = _text(rule, "reason", index, name, "", 500)
    if effect == "require_approval":
        approvals = _int(rule, "approvers", index, name, 1, 1, MAX_APPROVERS)
        role = _text(rule, "approver_role", index, name, Role.REVIEWER.value, 20)
        if role not in {r.value for r in Role}:
            raise PolicyInvalid(
                f"approver_role must be one of {', '.join(r.value for r in Role)}",
                index=index,
                name=name,
                field="approver_role",
            )
        expiry = _int(rule, "expires_in_minutes", index, name, DEFAULT_EXPIRY_MINUTES, 1, MAX_EXPIRY_MINUTES)
        outcome = Outcome(
            effect, name, reason or f"rule {name!r} needs {approvals} approval(s)", approvals, role, expiry
        )
    else:
        extra = sorted({"approvers", "approver_role", "expires_in_minutes"} & set(rule))
        if extra:
            raise PolicyInvalid(
                f"only require_approval rules take {extra[0]}", index=index, name=name, field=extra[0]
            )
        verb = "allows" if effect == "allow" else "denies"
        outcome = Outcome(effect, name, reason or f"rule {name!r} {verb} this")
    return _Rule(
        name=name,
        agent_kind=agent_kind,
        agent_value=agent_value,
        action=glob_regex(_text(rule, "action", index, name, "*", 200)),
        resource=glob_regex(_text(rule, "resource", index, name, "*", 500)),
        conditions=conditions,
        outcome=outcome,
    )


def compile_policy(document: Any, *, version: int | None = None) -> CompiledPolicy:
    """Validate a policy document and compile it; raises PolicyInvalid naming the bad rule."""
    if not isinstance(document, dict):
        raise PolicyInvalid("a policy is a mapping with 'rules' (and optionally 'holds')")
    unknown = sorted(set(document) - {"holds", "rules"})
    if unknown:
        raise PolicyInvalid(f"unknown top-level field {unknown[0]!r}", field=unknown[0])
    holds = document.get("holds", "escalate")
    if holds not in HOLD_MODES:
        raise PolicyInvalid(f"holds must be one of {', '.join(HOLD_MODES)}", field="holds")
    rules = document.get("rules", [])
    if not isinstance(rules, list):
        raise PolicyInvalid("rules must be a list", field="rules")
    seen: set[str] = set()
    return CompiledPolicy(version, holds, tuple(_compile_rule(rule, i, seen) for i, rule in enumerate(rules)))


EMPTY_POLICY = CompiledPolicy(None, "escalate", ())

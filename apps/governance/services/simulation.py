"""Policy simulation: how a draft would have decided the recorded requests of the last days."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.governance.models import ActionRequest
from apps.governance.policy import agent_facts, compile_policy, normalize_document, policy_from_yaml

# Decided before the policy was consulted: a draft policy cannot change these.
_NOT_POLICY = ("lifecycle", "limit:", "hold:")
MAX_SIMULATED = 50_000


@dataclass
class Simulation:
    days: int
    total: int = 0
    current: Counter = field(default_factory=Counter)  # verdict → count, as recorded
    draft: Counter = field(default_factory=Counter)  # verdict → count, under the draft
    changed: int = 0
    transitions: Counter = field(default_factory=Counter)  # "allow→deny" → count
    examples: list[dict] = field(default_factory=list)
    truncated: bool = False


def policy_simulate(*, document: dict[str, Any] | str, days: int = 7, examples: int = 20) -> Simulation:
    """Run a draft policy over the action requests of the last `days` days.

    Requests decided by the agent's lifecycle, limits or holds keep their verdict (the
    policy was not consulted). Verdicts are allow / require_approval / deny. Raises
    PolicyInvalid for a bad draft. Reads only."""
    document = policy_from_yaml(document) if isinstance(document, str) else normalize_document(document)
    policy = compile_policy(document)
    days = max(1, min(int(days), 90))
    result = Simulation(days=days)
    since = timezone.now() - timedelta(days=days)
    rows = (
        ActionRequest.objects.filter(created_at__gte=since)
        .select_related("agent")
        .order_by("-created_at")[: MAX_SIMULATED + 1]
    )
    facts: dict[int, dict] = {}
    for request in rows.iterator(chunk_size=2000):
        if result.total == MAX_SIMULATED:
            result.truncated = True
            break
        result.total += 1
        before = request.verdict
        result.current[before] += 1
        if request.rule.startswith(_NOT_POLICY):
            result.draft[before] += 1
            continue
        agent = facts.get(request.agent_id) or facts.setdefault(request.agent_id, agent_facts(request.agent))
        outcome = policy.evaluate(
            agent=agent, action=request.action, resource=request.resource, params=request.params
        )
        result.draft[outcome.effect] += 1
        if outcome.effect != before:
            result.changed += 1
            result.transitions[f"{before}→{outcome.effect}"] += 1
            if len(result.examples) < examples:
                result.examples.append(
                    {
                        "request": request,
                        "uuid": str(request.uuid),
                        "agent": request.agent.slug,
                        "action": request.action,
                        "resource": request.resource,
                        "created_at": request.created_at,
                        "before": before,
                        "before_rule": request.rule,
                        "after": outcome.effect,
                        "after_rule": outcome.rule,
                    }
                )
    return result

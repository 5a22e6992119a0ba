"""Thirty days of believable agent activity for the demo fleet: runs as traces, each a
decision followed by tool calls and a message, with the occasional error."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from apps.audit.ingest import events_ingest
from apps.audit.models import AuditEvent
from apps.registry.models import Agent

DAYS = 30
RUNS_PER_DAY = 5
BATCH = 500

# What each tool touches and returns, so inputs and outputs read like the real thing.
TOOL_SHAPES = {
    "github": (
        "github:acme/payments#{n}",
        {"pull_request": "{n}", "repo": "acme/payments"},
        {"comment_id": "{n}"},
    ),
    "k8s": ("k8s:prod/payments-api", {"deployment": "payments-api", "replicas": 4}, {"rollout": "complete"}),
    "pagerduty": ("pagerduty:incident/P{n}", {"incident": "P{n}"}, {"status": "acknowledged"}),
    "slack": ("slack:#inc-{n}", {"channel": "#inc-{n}", "text": "Summary drafted"}, {"ts": "17000{n}.0001"}),
    "logs": ("logs:payments-api", {"query": "status>=500", "window": "15m"}, {"matches": 42}),
    "zendesk": ("zendesk:ticket/{n}", {"ticket": "{n}", "macro": "refund-explained"}, {"status": "solved"}),
    "kb": ("kb:articles", {"query": "refund timeline"}, {"articles": ["kb-12", "kb-40"]}),
    "stripe": ("stripe:ch_{n}", {"charge": "ch_{n}", "amount": 40, "currency": "eur"}, {"refund": "re_{n}"}),
    "erp": ("erp:invoice/INV-{n}", {"invoice": "INV-{n}"}, {"matched_po": "PO-{n}"}),
    "salesforce": ("salesforce:account/{n}", {"soql": "SELECT Name FROM Account LIMIT 50"}, {"rows": 50}),
    "email": (
        "email:customer",
        {"to": "customer@example.com", "template": "weekly-summary"},
        {"queued": True},
    ),
    "siem": ("siem:alert/{n}", {"alert": "{n}", "window": "1h"}, {"related_events": 7}),
    "virustotal": ("virustotal:hash", {"sha256": "e3b0c44298fc1c149afbf4c8996fb924"}, {"malicious": 0}),
}
DECISIONS = {
    "github": (
        "review verdict",
        ["comment", "request changes", "approve"],
        "tests cover the change; one naming nit",
    ),
    "k8s": ("rollout plan", ["roll out", "hold", "roll back"], "canary error rate within 0.1% of baseline"),
    "zendesk": ("reply strategy", ["answer", "hand over to a person"], "question matches a known article"),
    "stripe": (
        "refund decision",
        ["refund", "partial refund", "refuse"],
        "customer was charged twice for one order",
    ),
}


def _fill(template, n: int):
    if isinstance(template, str):
        return template.replace("{n}", str(n))
    if isinstance(template, dict):
        return {key: _fill(value, n) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, n) for value in template]
    return template


def _run_events(
    agent: Agent, tools: list[str], run: int, started: datetime, rng: random.Random
) -> list[dict]:
    trace, family = f"{agent.slug}-run-{run}", tools[0].split(".")[0]
    topic, options, rationale = DECISIONS.get(
        family, ("next step", ["proceed", "wait"], "inputs look complete")
    )
    chosen = options[0] if rng.random() < 0.8 else rng.choice(options)
    when = started
    events = [
        {
            "id": f"seed-{agent.slug}-{run}-0",
            "type": "decision",
            "trace_id": trace,
            "span_id": "root",
            "name": topic,
            "occurred_at": when.isoformat(),
            "rationale": rationale,
            "chosen": chosen,
            "alternatives": [{"option": o, "score": round(rng.uniform(0.1, 0.95), 2)} for o in options],
            "duration_ms": round(rng.uniform(400, 2500), 1),
            "tokens_in": rng.randint(800, 4000),
            "tokens_out": rng.randint(60, 400),
            "cost_usd": round(rng.uniform(0.002, 0.03), 6),
        }
    ]
    for step in range(1, rng.randint(2, 4) + 1):
        tool = rng.choice(tools)
        resource, tool_input, tool_output = TOOL_SHAPES.get(tool.split(".")[0], ("service:internal", {}, {}))
        n = rng.randint(100, 9999)
        failed = rng.random() < 0.04
        when += timedelta(milliseconds=rng.randint(200, 3000))
        events.append(
            {
                "id": f"seed-{agent.slug}-{run}-{step}",
                "type": "tool_call",
                "trace_id": trace,
                "span_id": f"s{step}",
                "parent_span_id": "root",
                "name": tool,
                "resource": _fill(resource, n),
                "occurred_at": when.isoformat(),
                "status": "error" if failed else "ok",
                "input": _fill(tool_input, n),
                "output": {"error": "upstream timeout"} if failed else _fill(tool_output, n),
                "duration_ms": round(rng.lognormvariate(5.5, 0.6), 1),
            }
        )
    events.append(
        {
            "id": f"seed-{agent.slug}-{run}-99",
            "type": "message",
            "trace_id": trace,
            "span_id": "summary",
            "parent_span_id": "root",
            "name": "summary",
            "occurred_at": (when + timedelta(seconds=1)).isoformat(),
            "tokens_in": rng.randint(300, 1200),
            "tokens_out": rng.randint(80, 300),
            "cost_usd": round(rng.uniform(0.001, 0.01), 6),
        }
    )
    return events


def demo_events_seed(*, now: datetime | None = None) -> int:
    """Seed each demo agent that has a deployed version; agents already seeded are skipped."""
    now = now or timezone.now()
    seeded = 0
    for agent in (
        Agent.objects.exclude(current_version=None).select_related("current_version").order_by("slug")
    ):
        if AuditEvent.objects.filter(agent=agent, client_id=f"seed-{agent.slug}-0-0").exists():
            continue
        rng = random.Random(agent.slug)
        tools = agent.current_version.declared_tools or ["internal.lookup"]
        events = []
        for run in range(DAYS * RUNS_PER_DAY):
            started = (
                now
                - timedelta(days=DAYS)
                + timedelta(minutes=run * 24 * 60 // RUNS_PER_DAY + rng.randint(0, 200))
            )
            events += _run_events(agent, tools, run, min(started, now - timedelta(minutes=10)), rng)
        for start in range(0, len(events), BATCH):
            seeded += events_ingest(agent=agent, body={"events": events[start : start + BATCH]}).accepted
    return seeded

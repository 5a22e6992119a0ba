"""Demo governance for seed_demo: a realistic policy, limits, decided history over the past
week, pending approvals and an active hold. Idempotent: does nothing once a policy exists."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.governance import services
from apps.governance.models import ActionRequest, PolicyVersion, RequestStatus
from apps.registry.models import Agent

DEMO_POLICY = {
    "holds": "escalate",
    "rules": [
        {
            "name": "no-prod-db-drops",
            "action": "db.drop*",
            "resource": "db:prod/*",
            "effect": "deny",
            "reason": "Dropping production data is never automated.",
        },
        {"name": "reads-are-free", "action": "*.read", "effect": "allow"},
        {
            "name": "small-refunds",
            "agent": "tag:payments",
            "action": "refund.*",
            "when": [{"path": "params.amount", "op": "lte", "value": 100}],
            "effect": "allow",
        },
        {
            "name": "large-refunds",
            "action": "refund.*",
            "when": [{"path": "params.amount", "op": "gt", "value": 1000}],
            "effect": "require_approval",
            "approvers": 2,
            "expires_in_minutes": 120,
            "reason": "Refunds over 1,000 need two people.",
        },
        {
            "name": "medium-refunds",
            "action": "refund.*",
            "effect": "require_approval",
            "reason": "Refunds between 100 and 1,000 need one reviewer.",
        },
        {"name": "staging-deploys", "action": "deploy", "resource": "k8s:staging/*", "effect": "allow"},
        {
            "name": "prod-deploys",
            "agent": "slug:deploy-captain",
            "action": "deploy",
            "resource": "k8s:prod/*",
            "effect": "require_approval",
            "approvers": 2,
            "expires_in_minutes": 30,
        },
        {"name": "pii-exports", "agent": "tag:pii", "action": "export.*", "effect": "require_approval"},
        {
            "name": "bulk-email",
            "action": "email.send",
            "when": [{"path": "params.recipients", "op": "gt", "value": 500}],
            "effect": "deny",
            "reason": "Bulk email goes through the marketing platform.",
        },
        {
            "name": "isolate-hosts",
            "action": "host.isolate",
            "when": [{"path": "params.env", "op": "in", "value": ["prod"]}],
            "effect": "require_approval",
            "expires_in_minutes": 15,
        },
        {
            "name": "customer-replies",
            "agent": "tier:low",
            "action": "ticket.*",
            "resource": "zendesk:*",
            "effect": "allow",
        },
    ],
}

LIMITS = {
    "refund-agent": {
        "resource_patterns": ["stripe:*"],
        "rate_limits": [{"action": "refund.*", "max": 30, "per": "hour"}],
        "daily_budget": Decimal("5000"),
        "budget_fields": ["amount"],
        "over_limit": "escalate",
    },
    "deploy-captain": {
        "resource_patterns": ["k8s:*"],
        "rate_limits": [{"action": "deploy", "max": 6, "per": "hour"}],
        "over_limit": "deny",
    },
    "security-triage": {"rate_limits": [{"action": "host.isolate", "max": 3, "per": "hour"}]},
}

# (agent, action, resource, params): what the fleet asks for, decided by the policy.
ASKS = [
    ("refund-agent", "refund.create", "stripe:ch_{n}", {"amount": 40, "currency": "eur"}),
    ("refund-agent", "refund.create", "stripe:ch_{n}", {"amount": 450, "currency": "eur"}),
    ("refund-agent", "refund.create", "stripe:ch_{n}", {"amount": 2400, "currency": "eur"}),
    ("deploy-captain", "deploy", "k8s:staging/payments-api", {"image": "payments-api:1.{n}"}),
    ("deploy-captain", "deploy", "k8s:prod/payments-api", {"image": "payments-api:1.{n}"}),
    ("deploy-captain", "db.drop_table", "db:prod/ledger", {"table": "tmp_{n}"}),
    ("security-triage", "host.isolate", "host:web-{n}", {"env": "prod"}),
    ("security-triage", "logs.read", "siem:alert/{n}", {}),
    ("support-concierge", "ticket.reply", "zendesk:ticket/{n}", {"macro": "refund-explained"}),
    ("code-review-assistant", "github.comment", "github:acme/payments#{n}", {"line": 12}),
]


def _reviewers() -> list[User]:
    second = User.objects.filter(username="lena.review").first() or user_create(
        actor=None,
        username="lena.review",
        roles=["reviewer"],
        first_name="Lena",
        last_name="Park",
        email="lena.review@example.com",
    )
    return [u for u in (User.objects.filter(username="sam.review").first(), second) if u is not None]


def _backdate(request: ActionRequest, when, think: float) -> None:
    """Move a request decided a moment ago to `when`. A person's decision lands `think` (0-1)
    of the way to its expiry, so time-to-decision reads like people's, not ~0 ms (or below)."""
    shift = timezone.now() - when
    fields = {"created_at": when}
    if request.expires_at is not None:  # escalated: keep its time to expiry
        fields["expires_at"] = when + (request.expires_at - request.created_at)
        if request.status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
            wait = (request.expires_at - request.created_at) * think
            shift = request.decided_at - (when + wait)  # what happened at or after the decision
    for name in ("decided_at", "used_at", "outcome_at"):
        value = getattr(request, name)
        if value is not None:
            # Decisions made on arrival stay at arrival, never a few ms before it.
            fields[name] = max(value - shift, when)
    ActionRequest.objects.filter(pk=request.pk).update(**fields)


def _decide(request: ActionRequest, reviewers: list[User], rng: random.Random) -> None:
    if not request.is_pending:
        return
    roll = rng.random()
    if roll < 0.15:
        services.request_expire(request_id=request.pk, now=request.expires_at)
        return
    deciders = [r for r in reviewers if request.approvals_required < 2 or r.pk != request.agent.owner_id]
    if roll < 0.35:
        services.approval_decide(
            request=request,
            actor=deciders[0],
            approve=False,
            comment=rng.choice(
                [
                    "Not during the freeze.",
                    "Amount looks wrong; ask finance.",
                    "Wait for the incident review.",
                ]
            ),
        )
        return
    for reviewer in deciders[: request.approvals_required]:
        services.approval_decide(
            request=request, actor=reviewer, approve=True, comment="Checked the trace; fine."
        )


@transaction.atomic
def governance_demo_seed(*, seed: int = 7) -> int:
    """Seed the demo once; returns how many action requests were created (0 if already seeded)."""
    if PolicyVersion.objects.exists():
        return 0
    admin = User.objects.filter(username="maria.ops").first()
    agents = {a.slug: a for a in Agent.objects.filter(slug__in={ask[0] for ask in ASKS} | set(LIMITS))}
    if admin is None or not agents:
        return 0
    reviewers = _reviewers()
    rng = random.Random(seed)
    thinking = random.Random(seed + 1)  # reviewers' delays, apart so `rng`'s sequence stays as it was
    services.policy_publish(
        actor=admin, document=DEMO_POLICY, comment="Demo policy: refunds, deploys, PII, email."
    )
    created = 0
    now = timezone.now()
    for n in range(40):
        slug, action, resource, params = rng.choice(ASKS)
        if slug not in agents:
            continue
        request = services.action_request(
            actor=agents[slug],
            action=action,
            resource=resource.format(n=100 + n),
            params={k: v.format(n=n) if isinstance(v, str) else v for k, v in params.items()},
            rationale=f"Demo run {n}: {action} requested by the agent's plan.",
            trace_id=f"demo-gov-{n}",
        )
        _decide(request, reviewers, rng)
        request.refresh_from_db()
        when = now - timedelta(days=rng.uniform(0.5, 7), minutes=rng.uniform(0, 50))
        _backdate(request, when, think=thinking.uniform(0.05, 0.7))
        created += 1
    for slug, limits in LIMITS.items():
        if slug in agents:
            services.agent_limits_set(agent=agents[slug], actor=admin, **limits)
    if reviewers:
        services.hold_create(
            actor=reviewers[0],
            pattern="k8s:prod/payments-api",
            reason="Payments incident INC-231 under investigation; hold deploys.",
            ends_at=now + timedelta(hours=6),
        )
    for slug, action, resource, params, why in [
        (
            "refund-agent",
            "refund.create",
            "stripe:ch_9001",
            {"amount": 1800, "currency": "eur"},
            "Customer double-charged on order 9001; refund the duplicate.",
        ),
        (
            "deploy-captain",
            "deploy",
            "k8s:prod/payments-api",
            {"image": "payments-api:1.42"},
            "Roll out the fix for the retry storm seen in INC-231.",
        ),
        (
            "refund-agent",
            "refund.create",
            "stripe:ch_9002",
            {"amount": 320, "currency": "eur"},
            "Goodwill refund approved by support lead in the ticket.",
        ),
        (
            "security-triage",
            "host.isolate",
            "host:web-7",
            {"env": "prod"},
            "Beaconing to a known C2 domain from web-7.",
        ),
    ]:
        if slug in agents:
            services.action_request(
                actor=agents[slug],
                action=action,
                resource=resource,
                params=params,
                rationale=why,
                trace_id=f"demo-gov-pending-{resource}",
            )
            created += 1
    return created

"""How each demo agent behaves in `simulate_fleet`, and how the drifting one changes.

Agents not named here get a profile from their declared tools, so the simulator works on
any fleet, not only the seeded one.
"""

from dataclasses import dataclass, replace

# Tools that change the world: asked through @client.governed, so they meet the policies,
# limits and holds, and the high-risk ones wait in the approval queue for a person.
RISKY_TOOLS = frozenset(
    {
        "stripe.refund",
        "k8s.rollout",
        "k8s.rollback",
        "k8s.scale",
        "email.send",
        "github.request_changes",
    }
)


@dataclass(frozen=True)
class Profile:
    tools: tuple[str, ...]  # routine tools, called freely
    risky: tuple[str, ...] = ()  # governed tools: asked first, maybe waiting for a person
    runs_per_minute: float = 6.0
    error_rate: float = 0.04
    latency_ms: float = 250.0  # median tool latency; lognormal around it
    tokens_in: int = 1500
    tokens_out: int = 200
    cost_per_run: float = 0.01
    risky_share: float = 0.15  # of runs, how many also try a risky tool


PROFILES: dict[str, Profile] = {
    "support-concierge": Profile(tools=("zendesk.reply", "kb.search"), runs_per_minute=10, latency_ms=180),
    "refund-agent": Profile(
        tools=("zendesk.read",), risky=("stripe.refund",), runs_per_minute=4, risky_share=0.3
    ),
    "deploy-captain": Profile(
        tools=("pagerduty.read", "logs.search"), risky=("k8s.rollout",), runs_per_minute=2, risky_share=0.3
    ),
    "code-review-assistant": Profile(
        tools=("github.read", "github.comment"), risky=("github.request_changes",), latency_ms=400
    ),
    "crm-data-exporter": Profile(tools=("salesforce.query",), risky=("email.send",), runs_per_minute=3),
    "incident-responder": Profile(tools=("pagerduty.ack", "slack.post", "logs.search"), runs_per_minute=5),
    "invoice-reconciler": Profile(tools=("erp.read", "erp.flag"), runs_per_minute=8, latency_ms=120),
    "security-triage": Profile(tools=("siem.search", "virustotal.lookup"), runs_per_minute=4),
    "docs-writer": Profile(tools=("github.read",), runs_per_minute=2, tokens_out=1200),
}

DRIFT_TOOL = "zendesk.bulk_close"  # never used before: the drift check names new tools


def profile_for(slug: str, declared_tools: list[str]) -> Profile:
    if slug in PROFILES:
        return PROFILES[slug]
    routine = tuple(tool for tool in declared_tools if tool not in RISKY_TOOLS)
    risky = tuple(tool for tool in declared_tools if tool in RISKY_TOOLS)
    return Profile(tools=routine or ("internal.task",), risky=risky)


def drifted(profile: Profile) -> Profile:
    """After the drift point: a bulk tool it never used (called without asking, as drift
    does), errors up, slower, wordier and costlier."""
    return replace(
        profile,
        tools=(*profile.tools, DRIFT_TOOL, DRIFT_TOOL),
        error_rate=min(0.5, profile.error_rate * 6 + 0.1),
        latency_ms=profile.latency_ms * 4,
        tokens_in=profile.tokens_in * 3,
        tokens_out=profile.tokens_out * 3,
        cost_per_run=profile.cost_per_run * 4,
    )

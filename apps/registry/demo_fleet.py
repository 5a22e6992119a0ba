"""The demo fleet `seed_demo` creates: believable agents, each with a short history."""

DIGEST = "sha256:" + "{:064x}"

PEOPLE = [
    # username, first, last, roles
    ("maria.ops", "Maria", "Okafor", ["admin"]),
    ("sam.review", "Sam", "Lindqvist", ["reviewer"]),
    ("ines.audit", "Inès", "Moreau", ["auditor"]),
    ("tom.viewer", "Tom", "Becker", ["viewer"]),
]

# Each agent: registry fields, then its story as (step, arguments) run through the services.
FLEET = [
    {
        "slug": "code-review-assistant",
        "name": "Code review assistant",
        "owner": "maria.ops",
        "team": "platform",
        "risk_tier": "medium",
        "environment": "production",
        "tags": ["github", "review"],
        "purpose": "Reviews pull requests on the payments and web repositories and leaves comments.",
        "story": [
            (
                "deploy",
                {
                    "version": "1.0.0",
                    "model": "gpt-4.1",
                    "declared_tools": ["github.read", "github.comment"],
                    "changelog": "First release.",
                    "reason": "pilot approved by platform team",
                },
            ),
            (
                "deploy",
                {
                    "version": "1.1.0",
                    "model": "gpt-4.1",
                    "declared_tools": ["github.read", "github.comment", "github.request_changes"],
                    "changelog": "May request changes, not only comment.",
                },
            ),
        ],
    },
    {
        "slug": "deploy-captain",
        "name": "Deploy captain",
        "owner": "maria.ops",
        "team": "sre",
        "risk_tier": "critical",
        "environment": "production",
        "tags": ["kubernetes", "deploy"],
        "purpose": "Rolls out services to production after checks pass; rolls back on failing health.",
        "story": [
            (
                "deploy",
                {
                    "version": "2.3.0",
                    "model": "claude-sonnet-4",
                    "declared_tools": ["k8s.rollout", "k8s.rollback", "pagerduty.read"],
                    "changelog": "Canary analysis before every rollout.",
                },
            ),
            (
                "deploy",
                {
                    "version": "2.4.0",
                    "model": "claude-sonnet-4",
                    "declared_tools": ["k8s.rollout", "k8s.rollback", "k8s.scale", "pagerduty.read"],
                    "changelog": "Adds scaling.",
                },
            ),
            ("deploy", {"version": "2.3.0", "reason": "2.4.0 scaled payments to zero replicas in staging"}),
        ],
    },
    {
        "slug": "incident-responder",
        "name": "Incident responder",
        "owner": "maria.ops",
        "team": "sre",
        "risk_tier": "high",
        "environment": "production",
        "tags": ["pagerduty", "slack"],
        "purpose": "Triages alerts, gathers logs and drafts the incident channel summary.",
        "story": [
            (
                "deploy",
                {
                    "version": "0.9.0",
                    "model": "gpt-4.1-mini",
                    "declared_tools": ["pagerduty.ack", "slack.post", "logs.search"],
                },
            ),
            (
                "pause",
                {"reason": "paging storm on Saturday: paused until on-call reviews its acknowledgements"},
            ),
        ],
    },
    {
        "slug": "support-concierge",
        "name": "Support concierge",
        "owner": "tom.viewer",
        "team": "support",
        "risk_tier": "low",
        "environment": "production",
        "tags": ["zendesk", "customer-facing"],
        "purpose": "Answers first-line customer questions and hands over to a person when unsure.",
        "story": [
            (
                "deploy",
                {
                    "version": "3.2.1",
                    "model": "gpt-4.1-mini",
                    "declared_tools": ["zendesk.reply", "kb.search"],
                },
            ),
        ],
    },
    {
        "slug": "refund-agent",
        "name": "Refund agent",
        "owner": "maria.ops",
        "team": "finance",
        "risk_tier": "high",
        "environment": "production",
        "tags": ["stripe", "payments"],
        "purpose": "Issues refunds under the refund policy; larger ones need a person's approval.",
        "story": [
            (
                "deploy",
                {
                    "version": "1.0.0",
                    "model": "claude-sonnet-4",
                    "declared_tools": ["stripe.refund", "zendesk.read"],
                },
            ),
        ],
    },
    {
        "slug": "invoice-reconciler",
        "name": "Invoice reconciler",
        "owner": "ines.audit",
        "team": "finance",
        "risk_tier": "medium",
        "environment": "production",
        "tags": ["erp", "payments"],
        "purpose": "Matches supplier invoices to purchase orders and flags mismatches.",
        "story": [
            ("deploy", {"version": "1.4.0", "model": "gpt-4.1", "declared_tools": ["erp.read", "erp.flag"]}),
        ],
    },
    {
        "slug": "crm-data-exporter",
        "name": "CRM data exporter",
        "owner": "sam.review",
        "team": "sales",
        "risk_tier": "high",
        "environment": "production",
        "tags": ["salesforce", "pii"],
        "purpose": "Builds weekly account summaries from the CRM for account managers.",
        "story": [
            (
                "deploy",
                {
                    "version": "0.3.0",
                    "model": "gpt-4.1-mini",
                    "declared_tools": ["salesforce.query", "email.send"],
                },
            ),
            (
                "quarantine",
                {"reason": "sent a full contact export to an external address; under investigation"},
            ),
        ],
    },
    {
        "slug": "security-triage",
        "name": "Security triage",
        "owner": "sam.review",
        "team": "security",
        "risk_tier": "high",
        "environment": "staging",
        "tags": ["siem", "security"],
        "purpose": "Enriches SIEM alerts and proposes severity; never closes alerts itself.",
        "story": [
            (
                "deploy",
                {
                    "version": "0.1.0",
                    "model": "claude-sonnet-4",
                    "declared_tools": ["siem.search", "virustotal.lookup"],
                },
            ),
        ],
    },
    {
        "slug": "docs-writer",
        "name": "Docs writer",
        "owner": "tom.viewer",
        "team": "platform",
        "risk_tier": "low",
        "environment": "development",
        "tags": ["docs"],
        "purpose": "Drafts API reference pages from OpenAPI changes.",
        "story": [],
    },
    {
        "slug": "legacy-outreach-bot",
        "name": "Legacy outreach bot",
        "owner": "sam.review",
        "team": "sales",
        "risk_tier": "medium",
        "environment": "production",
        "tags": ["email"],
        "purpose": "Sent follow-up emails to trial users. Replaced by the CRM's own sequences.",
        "story": [
            ("deploy", {"version": "1.0.0", "model": "gpt-4o-mini", "declared_tools": ["email.send"]}),
            ("retire", {"reason": "replaced by CRM sequences; no longer needed"}),
        ],
    },
]

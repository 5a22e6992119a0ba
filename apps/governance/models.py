"""Governance: versioned policies, action requests and their approvals, per-agent limits,
resource holds and callback deliveries. Every write goes through `apps.governance.services`."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PolicyVersion(models.Model):
    """One saved version of the (single) governance policy. The newest number is in force.

    `document` is `{"holds": "escalate"|"deny", "rules": [...]}` as validated by
    `apps.governance.policy.compile_policy`; it never changes once saved.
    """

    number = models.PositiveIntegerField(unique=True)
    document = models.JSONField(encoder=DjangoJSONEncoder)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    diff = models.TextField(blank=True, help_text="Unified diff of the YAML against the previous version.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"policy v{self.number}"

    @property
    def rules(self) -> list[dict]:
        return self.document.get("rules", [])


class Decision(models.TextChoices):
    """What the agent is told: act, do not act, or wait."""

    ALLOW = "allow", "Allow"
    DENY = "deny", "Deny"
    PENDING = "pending", "Pending"


class Verdict(models.TextChoices):
    """What was decided when the request arrived (kept for simulation and metrics)."""

    ALLOW = "allow", "Allowed"
    DENY = "deny", "Denied"
    ESCALATE = "require_approval", "Escalated"


class RequestStatus(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


FINAL_STATUSES = (RequestStatus.ALLOWED, RequestStatus.DENIED, RequestStatus.APPROVED)


class OutcomeStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class ActionRequest(models.Model):
    """An agent asking whether it may do something; decided at once or by reviewers."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agent = models.ForeignKey("registry.Agent", on_delete=models.PROTECT, related_name="action_requests")
    action = models.CharField(max_length=200)
    resource = models.CharField(max_length=500)
    params = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    params_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON of params.")
    rationale = models.TextField(blank=True)
    trace_id = models.CharField(max_length=64, blank=True)
    span_id = models.CharField(max_length=64, blank=True)
    callback_url = models.URLField(max_length=1000, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    spend = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        default=0,
        help_text="What this action spends, per the agent's limits.",
    )

    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    status = models.CharField(max_length=8, choices=RequestStatus.choices)
    reason = models.TextField(blank=True)
    rule = models.CharField(max_length=200, blank=True, help_text="The rule or limit that decided.")
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    approver_role = models.CharField(max_length=20, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True, help_text="When reviewers were warned of expiry.")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    used_at = models.DateTimeField(null=True, blank=True, help_text="When the approval was consumed.")

    outcome_status = models.CharField(max_length=10, choices=OutcomeStatus.choices, blank=True)
    outcome_output = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    outcome_duration_ms = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="action_request_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "created_at"], name="action_request_agent_time"),
            models.Index(
                fields=["expires_at"], condition=Q(status="pending"), name="action_request_pending_expiry"
            ),
            models.Index(fields=["resource", "created_at"], name="action_request_resource_time"),
            models.Index(fields=["created_at"], name="action_request_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.resource} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def time_left(self):
        if not self.is_pending or self.expires_at is None:
            return None
        return max(self.expires_at - timezone.now(), timedelta(0))


class ApprovalVerdict(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"


class Approval(models.Model):
    """One reviewer's verdict on one request; a person counts once toward N."""

    request = models.ForeignKey(ActionRequest, on_delete=models.PROTECT, related_name="approvals")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=8, choices=ApprovalVerdict.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer"], name="approval_one_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.verdict} #{self.request_id}"


class OverLimit(models.TextChoices):
    DENY = "deny", "Deny"
    ESCALATE = "escalate", "Escalate to a reviewer"


class RateWindow(models.TextChoices):
    MINUTE = "minute", "per minute"
    HOUR = "hour", "per hour"


class AgentLimits(models.Model):
    """An agent's blast radius.

    `resource_patterns`: globs; when non-empty, any other resource is denied.
    `rate_limits`: `[{"action": glob, "max": N, "per": "minute"|"hour"}]`.
    `daily_budget`: the most the agent may spend per UTC day, summed over the params
    named in `budget_fields` (dotted paths inside params, e.g. "amount" or "cost_usd").
    """

    agent = models.OneToOneField("registry.Agent", on_delete=models.PROTECT, related_name="limits")
    resource_patterns = models.JSONField(default=list, blank=True)
    rate_limits = models.JSONField(default=list, blank=True)
    daily_budget = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    budget_fields = models.JSONField(default=list, blank=True)
    over_limit = models.CharField(max_length=8, choices=OverLimit.choices, default=OverLimit.DENY)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "agent limits"

    def __str__(self) -> str:
        return f"limits of {self.agent}"


class ResourceHoldQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(released_at__isnull=True).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))


class ResourceHold(models.Model):
    """A resource pattern flagged as under review by a person or an agent."""

    pattern = models.CharField(max_length=500)
    reason = models.TextField()
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_agent = models.ForeignKey(
        "registry.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_by_agent = models.ForeignKey(
        "registry.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_reason = models.TextField(blank=True)

    objects = ResourceHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_user__isnull=False) | Q(author_agent__isnull=False), name="hold_has_author"
            ),
        ]
        indexes = [models.Index(fields=["released_at", "ends_at"], name="hold_active")]

    def __str__(self) -> str:
        return f"hold on {self.pattern}"

    @property
    def author_label(self) -> str:
        if self.author_agent_id:
            return f"agent:{self.author_agent.slug}"
        return self.author_user.get_username() if self.author_user_id else "?"

    @property
    def is_active(self) -> bool:
        return self.released_at is None and (self.ends_at is None or self.ends_at > timezone.now())


class CallbackAttempt(models.Model):
    """One POST of a decision to an agent's callback_url."""

    request = models.ForeignKey(ActionRequest, on_delete=models.PROTECT, related_name="callback_attempts")
    attempt = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=1000)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"callback #{self.attempt} of {self.request_id}: {'ok' if self.ok else 'failed'}"

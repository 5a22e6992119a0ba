"""Alerts: one row per condition (its fingerprint), firing or resolved."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertKind(models.TextChoices):
    AGENT_DOWN = "agent_down", "Agent down"
    AGENT_DEGRADED = "agent_degraded", "Agent degraded"
    DRIFT = "drift", "Drift detected"
    BUDGET = "budget", "Budget near its limit"
    APPROVAL_WAITING = "approval_waiting", "Approval waiting"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken", "Audit chain broken"
    THRESHOLD = "threshold", "Metric threshold"


class AlertState(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """A condition that needs a person's attention.

    The fingerprint names the condition (`agent_down:billing-bot`), so a check that finds
    the same condition again updates this row instead of raising a second alert.
    """

    fingerprint = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(max_length=10, choices=AlertState.choices, default=AlertState.FIRING)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    agent = models.ForeignKey(
        "registry.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    team = models.CharField(max_length=100, blank=True)
    details = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    silenced_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["state", "-last_seen"], name="alert_state_seen")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_firing(self) -> bool:
        return self.state == AlertState.FIRING

    @property
    def is_silenced(self) -> bool:
        return self.silenced_until is not None and self.silenced_until > timezone.now()


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (JSON, signed)"
    SLACK = "slack", "Slack-compatible incoming webhook"


class Channel(models.Model):
    """Where alerts are sent, and which ones: at or above a severity, for some teams."""

    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    name = models.CharField(max_length=100, unique=True)
    target = models.CharField(
        max_length=1000, help_text="Email addresses (comma-separated), or the webhook URL."
    )
    secret = models.CharField(
        max_length=100, blank=True, help_text="Signs webhook bodies (HMAC-SHA256); webhooks only."
    )
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    teams = models.JSONField(default=list, blank=True, help_text="Only alerts of these teams; empty: all.")
    repeat_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Repeat while firing and unacknowledged; empty: the default."
    )
    enabled = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def target_display(self) -> str:
        """The target without the path of a URL: chat webhook URLs are credentials."""
        if self.kind == ChannelKind.EMAIL:
            return self.target
        scheme, _, rest = self.target.partition("://")
        host = rest.split("/", 1)[0]
        return f"{scheme}://{host}/…" if "/" in rest.rstrip("/") else self.target

    def routes(self, alert: "Alert") -> bool:
        """Whether this channel wants `alert` (severity threshold and team routing)."""
        if SEVERITY_RANK[Severity(alert.severity)] < SEVERITY_RANK[Severity(self.min_severity)]:
            return False
        return not self.teams or alert.team in self.teams


class DeliveryEvent(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    REPEAT = "repeat", "Still firing"
    TEST = "test", "Test"


class DeliveryResult(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    INTERRUPTED = "interrupted", "Interrupted"  # the worker died while sending
    CANCELLED = "cancelled", "Cancelled"  # silenced, acknowledged or channel disabled meanwhile


class AlertDelivery(models.Model):
    """One attempt to send one notification to one channel.

    `key` names the notification (the same on every attempt, and sent to receivers as
    X-Agentgov-Delivery so they can drop a resend); a retry is the next `attempt` row.
    """

    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=10, choices=DeliveryEvent.choices)
    key = models.CharField(max_length=200)
    attempt = models.PositiveSmallIntegerField(default=1)
    result = models.CharField(max_length=12, choices=DeliveryResult.choices, default=DeliveryResult.PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(default=timezone.now, help_text="When the attempt is due.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "attempt"], name="alert_delivery_key_attempt"),
        ]
        indexes = [
            models.Index(fields=["result", "not_before"], name="alert_delivery_due"),
            models.Index(fields=["channel", "-created_at"], name="alert_delivery_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.key} #{self.attempt} {self.result}"


class RuleMetric(models.TextChoices):
    ERROR_RATE = "error_rate", "Error rate (%)"
    P95_LATENCY = "p95_latency_ms", "p95 latency (ms)"
    COST_PER_HOUR = "cost_per_hour", "Cost per hour (USD)"
    EVENTS_PER_HOUR = "events_per_hour", "Events per hour"
    DENIALS_PER_HOUR = "denials_per_hour", "Denials per hour"


class Comparison(models.TextChoices):
    ABOVE = "gt", "above"
    BELOW = "lt", "below"


class AlertRule(models.Model):
    """An admin's own alert: a metric of one agent (or the fleet) crossing a threshold."""

    name = models.CharField(max_length=100, unique=True)
    metric = models.CharField(max_length=20, choices=RuleMetric.choices)
    agent = models.ForeignKey(
        "registry.Agent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
        help_text="Empty: the whole fleet.",
    )
    comparison = models.CharField(max_length=2, choices=Comparison.choices, default=Comparison.ABOVE)
    threshold = models.FloatField()
    window_minutes = models.PositiveIntegerField(default=60)
    min_events = models.PositiveIntegerField(
        default=20, help_text="Rates and percentiles over fewer events are not judged."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def fingerprint(self) -> str:
        return f"threshold:rule:{self.pk}"

    @property
    def scope_label(self) -> str:
        return self.agent.slug if self.agent_id else "the fleet"

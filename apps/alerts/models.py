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

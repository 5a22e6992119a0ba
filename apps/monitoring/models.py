"""Monitoring: one monitor per agent (heartbeats, health, thresholds), its health events,
and the drift reports of each drift run."""

from django.db import models
from django.utils import timezone


def _spoken(duration) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class HealthState(models.TextChoices):
    NEVER = "never", "Never seen"
    UP = "up", "Up"
    LATE = "late", "Late"
    DOWN = "down", "Down"
    DEGRADED = "degraded", "Degraded"


class Baseline(models.TextChoices):
    ROLLING = "rolling", "Rolling: the days before the recent window"
    DEPLOY = "deploy", "Pinned: the days before the current version's deploy"


class AgentMonitor(models.Model):
    """How one agent is watched, and what was last seen of it (healthchecks' Check).

    A heartbeat is one UPDATE of this row (`late_at` and `down_at` move with it), never an
    audit event; the health sweep audits the state changes it derives from these times.
    Empty thresholds follow the fleet-wide settings.
    """

    agent = models.OneToOneField("registry.Agent", on_delete=models.PROTECT, related_name="monitor")
    interval = models.DurationField(help_text="How often the agent is expected to send a heartbeat.")
    grace = models.DurationField(help_text="How long after a missed heartbeat the agent counts as down.")
    error_rate_threshold = models.FloatField(
        null=True, blank=True, help_text="Degraded above this share of failed recent events (0..1)."
    )
    p95_latency_ms_threshold = models.FloatField(
        null=True, blank=True, help_text="Degraded above this p95 latency of recent events, in ms."
    )
    drift_baseline = models.CharField(max_length=8, choices=Baseline.choices, default=Baseline.ROLLING)
    drift_thresholds = models.JSONField(
        default=dict, blank=True, help_text="Per-metric overrides of MONITORING_DRIFT_THRESHOLDS."
    )

    state = models.CharField(max_length=10, choices=HealthState.choices, default=HealthState.NEVER)
    state_changed_at = models.DateTimeField(default=timezone.now)
    state_reason = models.CharField(max_length=300, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    late_at = models.DateTimeField(null=True, blank=True)
    down_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=20, blank=True)
    last_message = models.CharField(max_length=500, blank=True)
    last_metrics = models.JSONField(default=dict, blank=True)
    # The last decisive drift verdict (ok or drift; "not enough data" leaves it), so a run
    # acts only on a change, and a duplicate run finds the change already made.
    drift_verdict = models.CharField(max_length=16, blank=True)
    drift_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agent__name"]
        indexes = [models.Index(fields=["state"], name="monitor_state")]

    def __str__(self) -> str:
        return f"monitor of {self.agent.slug}: {self.state}"

    @property
    def timing(self) -> str:
        """ "every 5 min, grace 5 min", for pages."""
        return f"every {_spoken(self.interval)}, grace {_spoken(self.grace)}"


class HealthEvent(models.Model):
    """One change of an agent's health state, as the sweep saw it."""

    agent = models.ForeignKey("registry.Agent", on_delete=models.PROTECT, related_name="health_events")
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=10, choices=HealthState.choices)
    to_state = models.CharField(max_length=10, choices=HealthState.choices)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agent", "-at"], name="health_event_agent_at")]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.from_state} → {self.to_state} at {self.at:%Y-%m-%d %H:%M}"


class SweepClock(models.Model):
    """When a periodic sweep may next run. A tick claims it with a conditional UPDATE, so
    a duplicated tick finds it claimed and does nothing (healthchecks' pattern)."""

    name = models.CharField(max_length=40, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: next at {self.next_run_at:%Y-%m-%d %H:%M:%S}"


class DriftVerdict(models.TextChoices):
    OK = "ok", "No drift"
    DRIFT = "drift", "Drifting"
    NOT_ENOUGH_DATA = "not_enough_data", "Not enough data"


class DriftRun(models.Model):
    """One drift check over the fleet, at `as_of`."""

    as_of = models.DateTimeField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    agents_checked = models.PositiveIntegerField(default=0)
    agents_drifting = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-as_of", "-id"]
        get_latest_by = "as_of"

    def __str__(self) -> str:
        return f"drift run at {self.as_of:%Y-%m-%d %H:%M}"


class DriftReport(models.Model):
    """What one drift run found for one agent.

    `metrics` is a list of {metric, label, score, p_value, threshold, verdict, sentence,
    severity}; `details` holds the small aggregates the charts draw (tool shares, histograms).
    """

    run = models.ForeignKey(DriftRun, on_delete=models.CASCADE, related_name="reports")
    agent = models.ForeignKey("registry.Agent", on_delete=models.PROTECT, related_name="drift_reports")
    as_of = models.DateTimeField()
    baseline = models.CharField(max_length=8, choices=Baseline.choices)
    baseline_start = models.DateTimeField()
    baseline_end = models.DateTimeField()
    current_start = models.DateTimeField()
    current_end = models.DateTimeField()
    baseline_events = models.PositiveIntegerField(default=0)
    current_events = models.PositiveIntegerField(default=0)
    verdict = models.CharField(max_length=16, choices=DriftVerdict.choices)
    severity = models.FloatField(default=0, help_text="The largest score / threshold over its metrics.")
    summary = models.CharField(max_length=500, blank=True)
    metrics = models.JSONField(default=list)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        indexes = [
            models.Index(fields=["agent", "-as_of"], name="drift_report_agent_as_of"),
            models.Index(fields=["run", "verdict"], name="drift_report_run_verdict"),
        ]
        constraints = [models.UniqueConstraint(fields=["run", "agent"], name="drift_report_run_agent")]

    def __str__(self) -> str:
        return f"{self.agent_id} at {self.as_of:%Y-%m-%d %H:%M}: {self.verdict}"

    @property
    def drifting_metrics(self) -> list[dict]:
        return [m for m in self.metrics if m["verdict"] == DriftVerdict.DRIFT]

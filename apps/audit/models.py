import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    # Reported by agents.
    DECISION = "decision", "Decision"
    TOOL_CALL = "tool_call", "Tool call"
    ACTION = "action", "Action"
    MESSAGE = "message", "Message"
    ERROR = "error", "Error"
    LOG = "log", "Log"
    # Made through agentgov itself, by a person, an agent or the system.
    CHANGE = "change", "Change"
    ACCESS = "access", "Access"


class EventStatus(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"
    DENIED = "denied", "Denied"


class ActorType(models.TextChoices):
    USER = "user", "Person"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


class AuditEventQuerySet(models.QuerySet):
    def in_chain(self, agent_id: int | None):
        """The events of one hash chain: an agent's, or the global one (agent_id None)."""
        return self.filter(agent_id=agent_id) if agent_id is not None else self.filter(agent__isnull=True)

    def update(self, **kwargs):
        raise TypeError("the audit trail is append-only: audit events cannot be updated")

    def delete(self):
        raise TypeError("the audit trail is append-only: audit events cannot be deleted")


class AuditEvent(models.Model):
    """One row of the append-only trail: something that happened, who did it, and why.

    Written only through `apps.audit.services.record()`. On PostgreSQL a trigger also
    refuses UPDATE and DELETE, so the guarantee does not rest on the ORM alone.

    Tamper evidence: the events about one agent form a hash chain (`seq`, `prev_hash`,
    `hash`, see `apps.audit.chain`); events about no agent form the global chain.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(auto_now_add=True)
    type = models.CharField(max_length=16, choices=EventType.choices)
    name = models.CharField(max_length=200, help_text="What happened, e.g. agent.deployed")
    status = models.CharField(max_length=8, choices=EventStatus.choices, default=EventStatus.OK)

    actor_type = models.CharField(max_length=8, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_agent = models.ForeignKey(
        "registry.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept as text too, so the row still reads right if a username changes.
    actor_label = models.CharField(max_length=200)

    agent = models.ForeignKey(
        "registry.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="The agent this event is about.",
    )
    resource = models.CharField(max_length=500, blank=True)
    rationale = models.TextField(
        blank=True, help_text="Why: the reason a person gave, or an agent's rationale."
    )
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    source_ip = models.GenericIPAddressField(null=True, blank=True)

    # What agents report (see apps.audit.ingest); empty on changes made through agentgov.
    client_id = models.CharField(
        max_length=64, blank=True, help_text="The agent's own id for the event; makes resends safe."
    )
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of what the agent sent.")
    trace_id = models.CharField(max_length=64, blank=True)
    span_id = models.CharField(max_length=64, blank=True)
    parent_span_id = models.CharField(max_length=64, blank=True)
    input = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    output = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    duration_ms = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    cost_usd = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    alternatives = models.JSONField(
        null=True, blank=True, help_text="For decisions: [{option, score?, reason?}]."
    )
    chosen = models.TextField(blank=True)
    action_id = models.CharField(max_length=64, blank=True, help_text="The governed action it belongs to.")
    attributes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    redactions = models.JSONField(
        default=list, blank=True, help_text="Where secrets were replaced before storage: [{path, kind}]."
    )

    seq = models.PositiveBigIntegerField(help_text="Position in its chain, from 1.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "-occurred_at", "-id"], name="audit_agent_time"),
            models.Index(fields=["-occurred_at", "-id"], name="audit_time"),
            models.Index(fields=["actor_user", "-occurred_at"], name="audit_actor_user_time"),
            models.Index(
                fields=["trace_id", "occurred_at"], condition=~models.Q(trace_id=""), name="audit_trace"
            ),
            # "What touched github:acme/payments?": resource prefixes are selective, and
            # without an index for LIKE 'prefix%' each one scanned the table.
            models.Index(
                fields=["resource"], opclasses=["varchar_pattern_ops"], name="audit_resource_prefix"
            ),
            # Errors and denials are rare and what people look for: small partial indexes
            # find them newest first without walking every ok event.
            models.Index(
                fields=["status", "-occurred_at", "-id"],
                condition=~models.Q(status="ok"),
                name="audit_problems",
            ),
            models.Index(
                fields=["agent", "status", "-occurred_at", "-id"],
                condition=~models.Q(status="ok"),
                name="audit_agent_problems",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "seq"], condition=models.Q(agent__isnull=False), name="audit_agent_chain_seq"
            ),
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(agent__isnull=True), name="audit_global_chain_seq"
            ),
            models.UniqueConstraint(
                fields=["agent", "client_id"], condition=~models.Q(client_id=""), name="audit_agent_client_id"
            ),
            models.CheckConstraint(
                name="audit_actor_matches_type",
                condition=(
                    models.Q(actor_type="user", actor_user__isnull=False, actor_agent__isnull=True)
                    | models.Q(actor_type="agent", actor_agent__isnull=False, actor_user__isnull=True)
                    | models.Q(actor_type="system", actor_user__isnull=True, actor_agent__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.name}"

    def save(self, *args, **kwargs):
        # Integrity, not business logic: an existing row is never rewritten.
        if not self._state.adding:
            raise TypeError("the audit trail is append-only: audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the audit trail is append-only: audit events cannot be deleted")


class ChainHead(models.Model):
    """The newest link of one chain. Locking this row serialises appends to the chain."""

    key = models.CharField(max_length=40, unique=True, help_text="agent:<id>, or global")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} @ {self.seq}"


class IntegrityCheck(models.Model):
    """One run of the chain verification, kept so the audit page can show the last one."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=100, help_text="all chains, or agent:<slug>")
    chains_checked = models.PositiveIntegerField(default=0)
    events_checked = models.PositiveBigIntegerField(default=0)
    ok = models.BooleanField(default=False)
    problem = models.TextField(blank=True, help_text="The first broken or missing event, if any.")

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.scope} {'ok' if self.ok else 'BROKEN'} at {self.started_at:%Y-%m-%d %H:%M}"


class CheckpointKind(models.TextChoices):
    PERIODIC = "periodic", "Periodic"  # the head at a moment: a later cut of the tail shows
    RETENTION = "retention", "Retention"  # the chain now starts after this event


class ChainCheckpoint(models.Model):
    """A chain head at a moment, signed with AUDIT_SIGNING_KEY: removing the tail of a
    chain, or its beginning outside the retention job, is then detectable."""

    key = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=CheckpointKind.choices, default=CheckpointKind.PERIODIC)
    created_at = models.DateTimeField(default=timezone.now)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["key", "-seq"]
        constraints = [models.UniqueConstraint(fields=["key", "seq", "kind"], name="audit_checkpoint_unique")]
        indexes = [models.Index(fields=["key", "kind", "-seq"], name="audit_checkpoint_key")]

    def __str__(self) -> str:
        return f"{self.kind} checkpoint {self.key} @ {self.seq}"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSON Lines"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (bundle deleted)"


class ExportStage(models.TextChoices):
    COUNTING = "counting", "Counting the events"
    WRITING = "writing", "Writing the events"
    VERIFYING = "verifying", "Verifying the hash chains"
    SIGNING = "signing", "Signing the bundle"


class AuditExport(models.Model):
    """One export of a filtered view of the trail as a signed evidence bundle (a zip of the
    data file, manifest.json and manifest.sig under VAR_DIR/exports/<uuid>/).

    Written only by `apps.audit.exports.service`; every step is also an audit event.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when run from the shell without --user.",
    )
    requested_label = models.CharField(max_length=200, help_text="Who asked, as the manifest names them.")
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    filters = models.JSONField(
        default=dict, blank=True, help_text="Trail filters, with the time range fixed when requested."
    )
    status = models.CharField(max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    stage = models.CharField(max_length=10, choices=ExportStage.choices, blank=True)
    rows_total = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Counted when the run starts; exact once done."
    )
    rows_written = models.PositiveBigIntegerField(default=0)
    data_sha256 = models.CharField(max_length=64, blank=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    bundle_size = models.PositiveBigIntegerField(null=True, blank=True)
    chain_ok = models.BooleanField(null=True, blank=True, help_text="The chain verification's result.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="audit_export_requester")]

    def __str__(self) -> str:
        return f"{self.format} export {self.uuid} ({self.status})"

    @property
    def resource_name(self) -> str:
        return f"export:{self.uuid}"

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def percent(self) -> int | None:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(99, self.rows_written * 100 // self.rows_total)

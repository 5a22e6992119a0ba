from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
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
    def update(self, **kwargs):
        raise TypeError("the audit trail is append-only: audit events cannot be updated")

    def delete(self):
        raise TypeError("the audit trail is append-only: audit events cannot be deleted")


class AuditEvent(models.Model):
    """One row of the append-only trail: something that happened, who did it, and why.

    Written only through `apps.audit.services.record()`. On PostgreSQL a trigger also
    refuses UPDATE and DELETE, so the guarantee does not rest on the ORM alone.
    """

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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "-occurred_at", "-id"], name="audit_agent_time"),
            models.Index(fields=["-occurred_at", "-id"], name="audit_time"),
            models.Index(fields=["actor_user", "-occurred_at"], name="audit_actor_user_time"),
        ]
        constraints = [
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

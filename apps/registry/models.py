from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

VERSION_LABEL_PATTERN = r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
version_label_validator = RegexValidator(
    VERSION_LABEL_PATTERN,
    "a version label is semantic: MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1",
)
config_digest_validator = RegexValidator(
    r"^sha256:[0-9a-f]{64}$",
    "a config digest is 'sha256:' followed by 64 lowercase hex digits",
)
tag_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.:-]{0,49}$",
    "a tag is up to 50 lowercase letters, digits, '_', '.', ':' or '-'",
)


class RiskTier(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Environment(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"


class AgentStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"  # known, no version deployed yet
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    QUARANTINED = "quarantined", "Quarantined"
    RETIRED = "retired", "Retired"


class Agent(models.Model):
    """An AI agent the organisation runs; its status is changed only by lifecycle services."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    purpose = models.TextField(blank=True, help_text="What the agent is for, in a sentence or two.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_agents")
    team = models.CharField(max_length=100, blank=True)
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices)
    environment = models.CharField(max_length=12, choices=Environment.choices, default=Environment.PRODUCTION)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=AgentStatus.choices, default=AgentStatus.REGISTERED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    current_version = models.ForeignKey(
        "AgentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "risk_tier"], name="agent_status_tier")]

    def __str__(self) -> str:
        return self.name

    @property
    def may_act(self) -> bool:
        """Whether the agent's requests are served; the kill switch turns this off."""
        return self.status in (AgentStatus.REGISTERED, AgentStatus.ACTIVE)

    @property
    def resource_name(self) -> str:
        return f"agent:{self.slug}"


class AgentVersion(models.Model):
    """One deployable version of an agent: model, configuration digest and declared tools."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=64, validators=[version_label_validator])
    model = models.CharField(max_length=200, help_text="The model it runs, e.g. gpt-4.1")
    config_digest = models.CharField(max_length=71, blank=True, validators=[config_digest_validator])
    declared_tools = models.JSONField(default=list, blank=True)
    changelog = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deployed_at = models.DateTimeField(
        null=True, blank=True, help_text="When this version was last deployed."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["agent", "label"], name="agent_version_label_unique")]

    def __str__(self) -> str:
        return f"{self.agent.slug}@{self.label}"


class AgentKey(models.Model):
    """An agent's API key. Only a hash is kept; the key itself is shown once."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="keys")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.agent.slug})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"

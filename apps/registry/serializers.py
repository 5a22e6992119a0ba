from rest_framework import serializers

from agentgov.serializers import StrictSerializer
from apps.accounts.models import User
from apps.registry.models import AgentKey, AgentVersion, Environment, RiskTier
from apps.registry.services.lifecycle import allowed_actions

REASON = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VersionOut(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = AgentVersion
        fields = [
            "label",
            "model",
            "config_digest",
            "declared_tools",
            "changelog",
            "created_by",
            "created_at",
            "deployed_at",
        ]


class AgentOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    purpose = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    team = serializers.CharField()
    risk_tier = serializers.CharField()
    environment = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    status_changed_at = serializers.DateTimeField()
    current_version = VersionOut(allow_null=True)
    allowed_actions = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_allowed_actions(self, agent) -> list[str]:
        return allowed_actions(agent)


class _AgentFields(StrictSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    purpose = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))
    team = serializers.CharField(required=False, allow_blank=True, max_length=100)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    reason = REASON


class AgentCreateIn(_AgentFields):
    slug = serializers.SlugField(max_length=64)


class AgentUpdateIn(_AgentFields):
    """PATCH body; every field optional. The slug never changes: keys and policies name it."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class VersionFieldsIn(StrictSerializer):
    model = serializers.CharField(max_length=200, required=False)
    config_digest = serializers.CharField(max_length=71, required=False, allow_blank=True)
    declared_tools = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=500
    )
    changelog = serializers.CharField(required=False, allow_blank=True)


class VersionCreateIn(VersionFieldsIn):
    label = serializers.CharField(max_length=64)
    model = serializers.CharField(max_length=200)


class DeployIn(VersionFieldsIn):
    version = serializers.CharField(max_length=64, help_text="Label to deploy; created if new (give model).")
    reason = REASON


class ReasonIn(StrictSerializer):
    reason = REASON


class KeyOut(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username")
    revoked_by = serializers.CharField(source="revoked_by.username", allow_null=True, default=None)
    replaced_by = serializers.CharField(source="replaced_by.prefix", allow_null=True, default=None)

    class Meta:
        model = AgentKey
        fields = [
            "prefix",
            "name",
            "state",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
            "replaced_by",
        ]


class KeyCreatedOut(KeyOut):
    key = serializers.CharField(help_text="The key itself. Shown once; store it now.")

    class Meta(KeyOut.Meta):
        fields = ["key", *KeyOut.Meta.fields]


class KeyCreateIn(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    never_expires = serializers.BooleanField(required=False, default=False)


class KeyRotateIn(StrictSerializer):
    grace_minutes = serializers.IntegerField(required=False, default=0, min_value=0, max_value=10080)
    reason = REASON

"""API shapes: strict inputs, and one output shape of a request that callbacks reuse."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agentgov.serializers import FieldsBuiltOnce, StrictSerializer
from apps.governance.models import ActionRequest, OutcomeStatus, ResourceHold
from apps.governance.selectors import review_path


class ActionIn(StrictSerializer):
    action = serializers.CharField(max_length=200)
    resource = serializers.CharField(max_length=500)
    params = serializers.DictField(required=False, default=dict)
    rationale = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")
    trace_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    span_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    callback_url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class ActionOut(FieldsBuiltOnce, serializers.ModelSerializer):
    """A request as its agent (and its callback) sees it."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    agent = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    review_url = serializers.SerializerMethodField()

    class Meta:
        model = ActionRequest
        fields = [
            "id",
            "agent",
            "action",
            "resource",
            "params_hash",
            "decision",
            "status",
            "reason",
            "rule",
            "policy_version",
            "approvals_required",
            "expires_at",
            "review_url",
            "created_at",
            "decided_at",
            "decided_by",
            "comment",
            "used_at",
            "outcome_status",
            "outcome_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_review_url(self, obj: ActionRequest) -> str:
        path = review_path(obj)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ApprovalOut(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    verdict = serializers.CharField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ApprovalRequestOut(ActionOut):
    """A request as a reviewer sees it in the staff API."""

    agent_tier = serializers.CharField(source="agent.risk_tier", read_only=True)
    approvals = ApprovalOut(many=True, read_only=True)

    class Meta(ActionOut.Meta):
        fields = [
            *ActionOut.Meta.fields,
            "agent_tier",
            "params",
            "rationale",
            "trace_id",
            "span_id",
            "approver_role",
            "approvals",
        ]
        read_only_fields = fields


class OutcomeIn(StrictSerializer):
    status = serializers.ChoiceField(choices=OutcomeStatus.choices)
    output = serializers.JSONField(required=False, allow_null=True, default=None)
    duration_ms = serializers.FloatField(required=False, allow_null=True, min_value=0, default=None)


class ConsumeIn(StrictSerializer):
    action = serializers.CharField(max_length=200)
    resource = serializers.CharField(max_length=500)
    params = serializers.DictField(required=False, default=dict)


class DecideIn(StrictSerializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class HoldIn(StrictSerializer):
    pattern = serializers.CharField(max_length=500)
    reason = serializers.CharField(max_length=5000)
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class HoldReleaseIn(StrictSerializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class HoldOut(serializers.ModelSerializer):
    author = serializers.CharField(source="author_label", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ResourceHold
        fields = ["id", "pattern", "reason", "author", "active", "created_at", "ends_at", "released_at"]
        read_only_fields = fields


class PolicyIn(StrictSerializer):
    """A policy as YAML text or as a document (`{"holds", "rules"}`): exactly one of them."""

    yaml = serializers.CharField(required=False, allow_blank=True, max_length=500_000)
    document = serializers.DictField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, attrs):
        if ("yaml" in attrs) == ("document" in attrs):
            raise serializers.ValidationError({"yaml": ["send either yaml or document"]})
        return attrs


class SimulateIn(PolicyIn):
    days = serializers.IntegerField(required=False, default=7, min_value=1, max_value=90)


class PolicyOut(serializers.Serializer):
    version = serializers.IntegerField(source="number")
    author = serializers.CharField(source="author.username", default=None)
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    document = serializers.DictField()
    yaml = serializers.CharField()
    diff = serializers.CharField()


class SimulationOut(serializers.Serializer):
    days = serializers.IntegerField()
    total = serializers.IntegerField()
    current = serializers.DictField(child=serializers.IntegerField())
    draft = serializers.DictField(child=serializers.IntegerField())
    changed = serializers.IntegerField()
    transitions = serializers.DictField(child=serializers.IntegerField())
    examples = serializers.ListField(child=serializers.DictField())
    truncated = serializers.BooleanField()


class RateLimitSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=200)
    max = serializers.IntegerField(min_value=1)
    per = serializers.ChoiceField(choices=["minute", "hour"])


class LimitsIn(StrictSerializer):
    resource_patterns = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list
    )
    rate_limits = RateLimitSerializer(many=True, required=False, default=list)
    daily_budget = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    budget_fields = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=None
    )
    over_limit = serializers.ChoiceField(choices=["deny", "escalate"], required=False, default="deny")


class LimitsOut(serializers.Serializer):
    agent = serializers.CharField(source="agent.slug")
    resource_patterns = serializers.ListField(child=serializers.CharField())
    rate_limits = RateLimitSerializer(many=True)
    daily_budget = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    budget_fields = serializers.ListField(child=serializers.CharField())
    over_limit = serializers.CharField()
    updated_at = serializers.DateTimeField()

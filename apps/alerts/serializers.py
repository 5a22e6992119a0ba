from rest_framework import serializers

from agentgov.serializers import StrictSerializer
from apps.alerts.models import Alert, AlertDelivery


class AlertOut(serializers.ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    silenced = serializers.BooleanField(source="is_silenced", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "fingerprint",
            "kind",
            "severity",
            "state",
            "title",
            "summary",
            "agent",
            "team",
            "details",
            "first_seen",
            "last_seen",
            "resolved_at",
            "acknowledged_by",
            "acknowledged_at",
            "silenced_until",
            "silenced",
        ]


class DeliveryOut(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = AlertDelivery
        fields = [
            "key",
            "channel",
            "event",
            "attempt",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class AlertDetailOut(AlertOut):
    deliveries = DeliveryOut(many=True, read_only=True)

    class Meta(AlertOut.Meta):
        fields = [*AlertOut.Meta.fields, "deliveries"]


class AcknowledgeIn(StrictSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SilenceIn(StrictSerializer):
    until = serializers.DateTimeField()
    reason = serializers.CharField(max_length=2000)

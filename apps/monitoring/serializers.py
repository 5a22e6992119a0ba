from rest_framework import serializers

from agentgov.serializers import StrictSerializer
from apps.monitoring.services import HEARTBEAT_STATUSES


class HeartbeatIn(StrictSerializer):
    status = serializers.ChoiceField(choices=HEARTBEAT_STATUSES, required=False, default="ok")
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    metrics = serializers.DictField(child=serializers.FloatField(), required=False, default=dict)

    def validate_metrics(self, value: dict) -> dict:
        if len(value) > 50:
            raise serializers.ValidationError("at most 50 metrics")
        too_long = [name for name in value if len(name) > 64]
        if too_long:
            raise serializers.ValidationError(f"metric names are at most 64 characters: {too_long[0][:64]}…")
        return value


class HeartbeatOut(serializers.Serializer):
    received_at = serializers.DateTimeField()

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.audit.models import AuditEvent

SUMMARY_FIELDS = [
    "uuid",
    "occurred_at",
    "recorded_at",
    "type",
    "name",
    "status",
    "actor_type",
    "actor_label",
    "agent",
    "resource",
    "trace_id",
    "span_id",
    "parent_span_id",
    "action_id",
    "duration_ms",
    "cost_usd",
    "tokens_in",
    "tokens_out",
    "client_id",
]


class EventSummaryOut(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.slug", allow_null=True, default=None)

    class Meta:
        model = AuditEvent
        fields = SUMMARY_FIELDS


class EventOut(EventSummaryOut):
    """Everything about one event, with its position in its hash chain."""

    class Meta:
        model = AuditEvent
        fields = [
            *SUMMARY_FIELDS,
            "rationale",
            "alternatives",
            "chosen",
            "input",
            "output",
            "attributes",
            "data",
            "redactions",
            "source_ip",
            "seq",
            "prev_hash",
            "hash",
            "content_hash",
        ]


class SpanOut(serializers.Serializer):
    span_id = serializers.CharField()
    parent_span_id = serializers.CharField()
    depth = serializers.IntegerField()
    duration_ms = serializers.FloatField(allow_null=True)
    has_error = serializers.BooleanField()
    events = EventOut(many=True)


class TraceOut(serializers.Serializer):
    trace_id = serializers.CharField()
    event_count = serializers.SerializerMethodField()
    spans = serializers.SerializerMethodField()

    def get_event_count(self, trace) -> int:
        return len(trace.events)

    @extend_schema_field(SpanOut(many=True))
    def get_spans(self, trace) -> list[dict]:
        return SpanOut(trace.flat(), many=True).data

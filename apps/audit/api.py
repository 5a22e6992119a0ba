"""Audit endpoints: agents report events with their key; staff read the trail."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.ingest import BatchRefused, events_ingest
from apps.audit.parsers import StrictJSONParser
from apps.registry.authentication import AgentKeyAuthentication, AgentMayReport

IngestAnswer = inline_serializer(
    "IngestAnswer",
    {
        "accepted": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "rejected": serializers.ListField(child=serializers.DictField()),
    },
)
BatchErrors = inline_serializer(
    "BatchErrors",
    {"error": serializers.CharField(), "errors": serializers.ListField(child=serializers.DictField())},
)


class EventIngestView(APIView):
    """`POST /api/v1/events/`: one event, or `{"events": [...]}` with up to 1,000.

    Paused and quarantined agents may still report: the record must never lose what
    happened. Retired agents and revoked keys are refused by authentication.
    """

    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [AgentMayReport]
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=inline_serializer(
            "EventBatch", {"events": serializers.ListField(child=serializers.DictField())}
        ),
        responses={
            202: IngestAnswer,
            400: OpenApiResponse(BatchErrors, description="Invalid batch; nothing was stored."),
            409: OpenApiResponse(IngestAnswer, description="Every new event reused an id for other content."),
            413: OpenApiResponse(description="Body over 5 MiB."),
        },
    )
    def post(self, request):
        if not request.data:
            raise ParseError('the body is empty; send an event object or {"events": [...]}')
        try:
            result = events_ingest(
                agent=request.user.agent, body=request.data, source_ip=request.META.get("REMOTE_ADDR")
            )
        except BatchRefused as refused:
            return Response(
                {"error": f"batch refused, nothing was stored: {refused}", "errors": refused.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        answer = {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": result.rejected}
        all_rejected = result.rejected and not result.accepted and not result.duplicates
        return Response(answer, status=status.HTTP_409_CONFLICT if all_rejected else status.HTTP_202_ACCEPTED)

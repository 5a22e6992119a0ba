"""Audit endpoints: agents report events with their key; staff read the trail."""

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import CanView
from apps.audit import selectors
from apps.audit.filters import AuditEventFilter
from apps.audit.ingest import BatchRefused, events_ingest
from apps.audit.pagination import decode_cursor, page_before
from apps.audit.parsers import StrictJSONParser
from apps.audit.serializers import EventOut, EventSummaryOut, TraceOut
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


class TrailCursorPagination(BasePagination):
    """Keyset pages, newest first, cut at (occurred_at, id): no OFFSET, no COUNT(*)."""

    page_size = 100
    max_page_size = 1000

    def paginate_queryset(self, queryset, request, view=None):
        cursor = request.query_params.get("cursor") or None
        if cursor:
            try:
                decode_cursor(cursor)
            except ValueError as exc:
                raise NotFound(f"{exc}; start again without a cursor") from None
        try:
            size = min(int(request.query_params.get("page_size", self.page_size)), self.max_page_size)
        except ValueError:
            raise ParseError("page_size must be an integer") from None
        self.request = request
        self.page = page_before(queryset, cursor, max(size, 1))
        return self.page.events

    def get_paginated_response(self, data):
        next_url = None
        if self.page.next_cursor:
            next_url = self.request.build_absolute_uri(
                f"{self.request.path}?{self._query_with(cursor=self.page.next_cursor)}"
            )
        return Response({"next": next_url, "results": data})

    def _query_with(self, **params) -> str:
        query = self.request.query_params.copy()
        for key, value in params.items():
            query[key] = value
        return query.urlencode()

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {"next": {"type": "string", "nullable": True, "format": "uri"}, "results": schema},
        }


class EventsView(GenericAPIView):
    """`/api/v1/events/`: agents POST what they did (their key); staff GET the trail (session).

    POST takes one event, or `{"events": [...]}` with up to 1,000. Paused and quarantined
    agents may still report: the record must never lose what happened. Retired agents and
    revoked keys are refused by authentication.
    """

    authentication_classes = [AgentKeyAuthentication, SessionAuthentication]
    serializer_class = EventSummaryOut
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter
    pagination_class = TrailCursorPagination

    parser_classes = [StrictJSONParser]

    def get_permissions(self):
        posting = getattr(self.request, "method", None) == "POST"
        return [AgentMayReport()] if posting else [CanView()]

    def get_queryset(self):
        return selectors.event_list()

    @extend_schema(
        operation_id="events_list",
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EventSummaryOut(page, many=True).data)

    @extend_schema(
        operation_id="events_ingest",
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


class EventDetailView(APIView):
    """`GET /api/v1/events/{uuid}/`: one event, all fields, with its chain position."""

    permission_classes = [CanView]

    @extend_schema(operation_id="events_retrieve", responses=EventOut)
    def get(self, request, uuid):
        try:
            return Response(EventOut(selectors.event_by_uuid(uuid)).data)
        except selectors.AuditEvent.DoesNotExist:
            raise Http404("no event with that id") from None


class TraceView(APIView):
    """`GET /api/v1/traces/{trace_id}/`: a run as spans, parent before child."""

    permission_classes = [CanView]

    @extend_schema(operation_id="traces_retrieve", responses=TraceOut)
    def get(self, request, trace_id):
        trace = selectors.trace_tree(trace_id)
        if not trace.events:
            raise Http404(f"no events with trace id {trace_id!r}")
        return Response(TraceOut(trace).data)

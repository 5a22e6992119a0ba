"""`/api/v1/exports/`: request an export of the trail, follow it, download its bundle (auditors)."""

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import CanExportAudit
from apps.audit.exports import selectors, service
from apps.audit.models import AuditExport, ExportFormat

ErrorOut = inline_serializer(
    "ExportError", {"error": serializers.CharField(), "field": serializers.CharField()}
)


class ExportIn(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    filters = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="The trail's filters, as for GET /api/v1/events/ (type and status may be lists).",
    )


class ExportOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid")
    # Plain text in the schema: an enum would collide with the events' "status" enum.
    status = serializers.CharField(help_text="queued, then running, then done or failed")
    requested_by = serializers.CharField(source="requested_label")
    percent = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AuditExport
        fields = [
            "id",
            "url",
            "format",
            "filters",
            "status",
            "stage",
            "rows_total",
            "rows_written",
            "percent",
            "data_sha256",
            "bundle_sha256",
            "bundle_size",
            "chain_ok",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    def _absolute(self, name: str, export: AuditExport) -> str:
        return self.context["request"].build_absolute_uri(reverse(name, args=[export.uuid]))

    def get_url(self, export) -> str:
        return self._absolute("export-detail", export)

    def get_download_url(self, export) -> str | None:
        return self._absolute("export-download", export) if export.status == "done" else None


class ExportPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


def _visible(request, uuid) -> AuditExport:
    try:
        return selectors.export_visible_to(request.user, uuid)
    except AuditExport.DoesNotExist:
        raise Http404("no export with that id among yours") from None


class ExportsView(GenericAPIView):
    """GET your exports (a superuser: everyone's), newest first; POST to request one.

    The export runs as a background job: follow `url` until `status` is `done` (or `failed`),
    then fetch `download_url`. The time range is fixed when requested: a quick `range`
    becomes `since`, and `until` is at most the request's time.
    """

    permission_classes = [CanExportAudit]
    serializer_class = ExportOut
    pagination_class = ExportPagination

    def get_queryset(self):
        return selectors.exports_visible_to(self.request.user)

    @extend_schema(operation_id="exports_list")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ExportOut(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="exports_create",
        request=ExportIn,
        responses={202: ExportOut, 400: OpenApiResponse(ErrorOut, description="Bad format or filters.")},
    )
    def post(self, request):
        given = ExportIn(data=request.data)
        given.is_valid(raise_exception=True)
        export = service.export_request(actor=request.user, **given.validated_data)
        body = ExportOut(export, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ExportDetailView(APIView):
    """One export's status and progress."""

    permission_classes = [CanExportAudit]

    @extend_schema(operation_id="exports_retrieve", responses=ExportOut)
    def get(self, request, uuid):
        return Response(ExportOut(_visible(request, uuid), context={"request": request}).data)


class ExportDownloadView(APIView):
    """The bundle (zip): the data file, manifest.json and manifest.sig. Each download is audited."""

    permission_classes = [CanExportAudit]

    def perform_content_negotiation(self, request, force=False):
        # The bundle is a file, whatever the client accepts; only errors are rendered (JSON).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="exports_download",
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            409: OpenApiResponse(ErrorOut, description="The export is not done."),
        },
    )
    def get(self, request, uuid):
        export = _visible(request, uuid)
        path = service.export_download(export=export, actor=request.user)
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=service.download_name(export),
            content_type="application/zip",
        )

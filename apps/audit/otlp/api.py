"""`POST /api/v1/otlp/v1/traces`: OTLP/HTTP trace export, authenticated with the agent key.

Any OpenTelemetry exporter can send here with
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=<agentgov>/api/v1/otlp/v1/traces` and
`OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer agk_...`. Answers are OTLP too, in the
request's encoding, errors included, so exporters log a readable reason.
"""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from apps.audit.otlp import wire
from apps.audit.otlp.ingest import otlp_traces_ingest
from apps.registry.authentication import AgentKeyAuthentication, AgentMayReport

PASSED_ON_HEADERS = ("WWW-Authenticate", "Retry-After")


class OtlpTracesView(APIView):
    """Paused and quarantined agents may still send traces (as for `/api/v1/events/`):
    the record must never lose what happened; retired agents and revoked keys are refused."""

    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [AgentMayReport]
    parser_classes: list = []  # the body is read here: protobuf or JSON, maybe gzipped

    @extend_schema(
        operation_id="otlp_traces_export",
        request={wire.PROTOBUF: OpenApiTypes.BINARY, wire.JSON: OpenApiTypes.OBJECT},
        responses={
            (200, wire.PROTOBUF): OpenApiTypes.BINARY,
            (200, wire.JSON): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="ExportTraceServiceResponse; partialSuccess lists rejected spans.",
            ),
            (400, wire.JSON): OpenApiResponse(
                OpenApiTypes.OBJECT, description="google.rpc.Status: the body is not OTLP."
            ),
        },
    )
    def post(self, request):
        media_type = self._media_type(request)
        body = wire.decompress(
            self._read_body(request), request.META.get("HTTP_CONTENT_ENCODING", ""), self._limit
        )
        export_request = wire.parse_request(body, media_type)
        result = otlp_traces_ingest(
            agent=request.user.agent, export_request=export_request, source_ip=request.META.get("REMOTE_ADDR")
        )
        answer = wire.export_response(len(result.rejected), result.error_message)
        return HttpResponse(wire.encode_response(answer, media_type), content_type=media_type)

    @property
    def _limit(self) -> int:
        return settings.AUDIT_MAX_BODY_BYTES

    def _media_type(self, request) -> str:
        return wire.media_type_of(request.META.get("CONTENT_TYPE", ""))

    def _read_body(self, request) -> bytes:
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > self._limit:
            raise wire.TooLarge(f"the body is over {self._limit / (1024 * 1024):g} MiB")
        body = request.stream.read(self._limit + 1) if request.stream is not None else b""
        if len(body) > self._limit:
            raise wire.TooLarge(f"the body is over {self._limit / (1024 * 1024):g} MiB")
        return body

    def handle_exception(self, exc):
        """Every failure as a google.rpc.Status in the request's encoding (OTLP/HTTP spec)."""
        status_by_error = {wire.Malformed: 400, wire.TooLarge: 413, wire.UnsupportedEncoding: 415}
        for error_class, status in status_by_error.items():
            if isinstance(exc, error_class):
                return self._status_response(status, str(exc))
        response = super().handle_exception(exc)  # auth and permission failures, as DRF decides
        data = response.data if isinstance(response.data, dict) else {}
        message = str(data.get("error") or data.get("detail") or exc)
        answer = self._status_response(response.status_code, message)
        for header in PASSED_ON_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer

    def _status_response(self, status: int, message: str) -> HttpResponse:
        try:
            media_type = self._media_type(self.request)
        except (wire.UnsupportedEncoding, AttributeError):
            media_type = wire.JSON
        return HttpResponse(
            wire.encode_status(status, message, media_type), status=status, content_type=media_type
        )

"""`POST /api/v1/heartbeats/`: an agent says it is alive, with its key."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.parsers import StrictJSONParser
from apps.monitoring.serializers import HeartbeatIn, HeartbeatOut
from apps.monitoring.services import heartbeat_record
from apps.registry.authentication import AgentKeyAuthentication, AgentMayReport


class HeartbeatView(APIView):
    """Paused and quarantined agents may still beat (their health stays visible); retired
    agents and revoked keys are refused by authentication. A heartbeat is one UPDATE of the
    agent's monitor, not an audit event; changes of health state are audited."""

    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [AgentMayReport]
    parser_classes = [StrictJSONParser]

    @extend_schema(
        operation_id="heartbeat",
        request=HeartbeatIn,
        responses={202: HeartbeatOut, 400: OpenApiResponse(description="Invalid field; nothing was stored.")},
    )
    def post(self, request):
        serializer = HeartbeatIn(data=request.data if request.data else {})
        serializer.is_valid(raise_exception=True)
        received = heartbeat_record(agent=request.user.agent, **serializer.validated_data)
        return Response(HeartbeatOut({"received_at": received}).data, status=status.HTTP_202_ACCEPTED)

"""Registry endpoints: staff manage agents with their session; agents ask who they are."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.registry import selectors, services
from apps.registry.authentication import AgentKeyAuthentication, AgentMayAct
from apps.registry.filters import AgentFilter
from apps.registry.serializers import (
    AgentCreateIn,
    AgentOut,
    AgentUpdateIn,
    DeployIn,
    KeyCreatedOut,
    KeyCreateIn,
    KeyOut,
    KeyRotateIn,
    ReasonIn,
    VersionCreateIn,
    VersionOut,
)

STATUS_ACTIONS = {
    "pause": services.agent_pause,
    "resume": services.agent_resume,
    "quarantine": services.agent_quarantine,
    "release": services.agent_release,
    "retire": services.agent_retire,
}


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AgentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Agents in the registry. Every role reads; only admins write."""

    lookup_field = "slug"
    serializer_class = AgentOut
    filterset_class = AgentFilter

    def get_queryset(self):
        return selectors.agent_list()

    @extend_schema(request=AgentCreateIn, responses={201: AgentOut})
    def create(self, request):
        data = _valid(AgentCreateIn, request)
        agent = services.agent_register(actor=request.user, **data)
        return Response(AgentOut(agent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AgentUpdateIn, responses=AgentOut)
    def partial_update(self, request, slug=None):
        data = _valid(AgentUpdateIn, request)
        agent = services.agent_update(agent=self.get_object(), actor=request.user, **data)
        return Response(AgentOut(agent).data)

    @extend_schema(request=DeployIn, responses=AgentOut)
    @action(detail=True, methods=["post"])
    def deploy(self, request, slug=None):
        """Deploy a version by label; a known earlier label is a rollback."""
        data = _valid(DeployIn, request)
        agent = services.agent_deploy(agent=self.get_object(), actor=request.user, **data)
        return Response(AgentOut(agent).data)

    def _change_status(self, request, name: str) -> Response:
        data = _valid(ReasonIn, request)
        agent = STATUS_ACTIONS[name](
            agent=self.get_object(), actor=request.user, reason=data.get("reason", "")
        )
        return Response(AgentOut(agent).data)

    @extend_schema(request=ReasonIn, responses=AgentOut)
    @action(detail=True, methods=["post"])
    def pause(self, request, slug=None):
        return self._change_status(request, "pause")

    @extend_schema(request=ReasonIn, responses=AgentOut)
    @action(detail=True, methods=["post"])
    def resume(self, request, slug=None):
        return self._change_status(request, "resume")

    @extend_schema(request=ReasonIn, responses=AgentOut)
    @action(detail=True, methods=["post"])
    def quarantine(self, request, slug=None):
        """The kill switch: the agent's keys are refused from now on."""
        return self._change_status(request, "quarantine")

    @extend_schema(request=ReasonIn, responses=AgentOut)
    @action(detail=True, methods=["post"])
    def release(self, request, slug=None):
        """Lift a quarantine; the agent lands paused and must be resumed."""
        return self._change_status(request, "release")

    @extend_schema(request=ReasonIn, responses=AgentOut)
    @action(detail=True, methods=["post"])
    def retire(self, request, slug=None):
        """Final. Revokes every key of the agent."""
        return self._change_status(request, "retire")

    @extend_schema(methods=["GET"], responses=VersionOut(many=True))
    @extend_schema(methods=["POST"], request=VersionCreateIn, responses={201: VersionOut})
    @action(detail=True, methods=["get", "post"])
    def versions(self, request, slug=None):
        agent = self.get_object()
        if request.method == "GET":
            return Response(VersionOut(selectors.agent_versions(agent), many=True).data)
        data = _valid(VersionCreateIn, request)
        version = services.agent_version_create(agent=agent, actor=request.user, **data)
        return Response(VersionOut(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=KeyOut(many=True))
    @extend_schema(methods=["POST"], request=KeyCreateIn, responses={201: KeyCreatedOut})
    @action(detail=True, methods=["get", "post"])
    def keys(self, request, slug=None):
        """List keys, or create one: the response holds the key itself, shown only this once."""
        agent = self.get_object()
        if request.method == "GET":
            return Response(KeyOut(selectors.agent_keys(agent), many=True).data)
        key, raw_key = services.agent_key_create(
            agent=agent, actor=request.user, **_valid(KeyCreateIn, request)
        )
        key.key = raw_key
        return Response(KeyCreatedOut(key).data, status=status.HTTP_201_CREATED)

    def _key(self, prefix: str):
        return get_object_or_404(selectors.agent_keys(self.get_object()), prefix=prefix)

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, description="Why the key is revoked")],
        request=None,
        responses=KeyOut,
    )
    @action(detail=True, methods=["delete"], url_path=r"keys/(?P<prefix>agk_[a-z0-9]+)")
    def revoke_key(self, request, slug=None, prefix=None):
        reason = request.query_params.get("reason") or (
            request.data.get("reason", "") if isinstance(request.data, dict) else ""
        )
        key = services.agent_key_revoke(key=self._key(prefix), actor=request.user, reason=str(reason))
        return Response(KeyOut(key).data)

    @extend_schema(request=KeyRotateIn, responses={201: KeyCreatedOut})
    @action(detail=True, methods=["post"], url_path=r"keys/(?P<prefix>agk_[a-z0-9]+)/rotate")
    def rotate_key(self, request, slug=None, prefix=None):
        """Issue a replacement key; the old one is revoked now or after `grace_minutes`."""
        new, raw_key = services.agent_key_rotate(
            key=self._key(prefix), actor=request.user, **_valid(KeyRotateIn, request)
        )
        new.key = raw_key
        return Response(KeyCreatedOut(new).data, status=status.HTTP_201_CREATED)


class AgentSelfView(APIView):
    """`GET /api/v1/agent/me/`: an agent checks its key and learns its own status."""

    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [AgentMayAct]

    @extend_schema(responses=AgentOut)
    def get(self, request):
        # Authentication reads the agent alone (every agent request pays for it); the
        # owner and version only this answer shows are read here, in one query.
        agent = selectors.agent_list().get(pk=request.user.agent.pk)
        return Response(AgentOut(agent).data)

"""Governance endpoints: agents ask (and wait) with their key; reviewers decide with their session."""

import time

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import CanManage, CanView, StaffReadOrManage
from apps.governance import selectors, services
from apps.governance.models import RequestStatus
from apps.governance.policy import policy_to_yaml
from apps.governance.serializers import (
    ActionIn,
    ActionOut,
    ApprovalRequestOut,
    ConsumeIn,
    DecideIn,
    HoldIn,
    HoldOut,
    HoldReleaseIn,
    LimitsIn,
    LimitsOut,
    OutcomeIn,
    PolicyIn,
    PolicyOut,
    SimulateIn,
    SimulationOut,
)
from apps.registry.authentication import AgentKeyAuthentication, AgentMayReport, AgentPrincipal

POLL_INTERVAL_SECONDS = 0.25


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _out(request_obj, request, status_code=status.HTTP_200_OK) -> Response:
    return Response(ActionOut(request_obj, context={"request": request}).data, status=status_code)


class _AgentView(APIView):
    # AgentMayReport, not AgentMayAct: a paused or quarantined agent gets a `deny` decision
    # with the reason (and may still report outcomes), rather than a bare 403.
    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [AgentMayReport]

    def own_request(self, request, uuid):
        return get_object_or_404(selectors.request_of_agent(request.user.agent), uuid=uuid)


class ActionsView(_AgentView):
    """`POST /api/v1/actions/`: may this agent do this? allow, deny, or pending (wait)."""

    @extend_schema(request=ActionIn, responses={201: ActionOut, 200: ActionOut})
    def post(self, request):
        created = services.action_request(actor=request.user.agent, **_valid(ActionIn, request))
        return _out(created, request, status.HTTP_200_OK if created.replayed else status.HTTP_201_CREATED)


class ActionDetailView(_AgentView):
    """`GET /api/v1/actions/{id}/?wait=N`: the decision, waiting up to N seconds (max 30)
    while it is pending. The database is polled every 250 ms; the worker (or thread) is
    held for the wait, so serve this with gunicorn's gthread workers."""

    @extend_schema(
        parameters=[OpenApiParameter("wait", int, description="Seconds to wait for a decision (0-30)")],
        responses=ActionOut,
    )
    def get(self, request, uuid):
        try:
            wait = float(request.query_params.get("wait", 0) or 0)
        except ValueError:
            raise ParseError("wait must be a number of seconds") from None
        deadline = time.monotonic() + max(0.0, min(wait, settings.GOVERNANCE_LONG_POLL_MAX_SECONDS))
        found = self.own_request(request, uuid)
        while found.status == RequestStatus.PENDING and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_SECONDS)
            found = self.own_request(request, uuid)
        return _out(found, request)


class ActionOutcomeView(_AgentView):
    """`POST /api/v1/actions/{id}/outcome/`: what happened when the agent acted."""

    @extend_schema(request=OutcomeIn, responses=ActionOut)
    def post(self, request, uuid):
        found = services.action_outcome_record(
            request=self.own_request(request, uuid), actor=request.user.agent, **_valid(OutcomeIn, request)
        )
        return _out(found, request)


class ActionConsumeView(_AgentView):
    """`POST /api/v1/actions/{id}/consume/`: use the approval, once, for exactly what was approved."""

    @extend_schema(request=ConsumeIn, responses=ActionOut)
    def post(self, request, uuid):
        found = services.approval_consume(
            request=self.own_request(request, uuid), actor=request.user.agent, **_valid(ConsumeIn, request)
        )
        return _out(found, request)


class AgentOrStaff(BasePermission):
    """An agent key, or a person with a role (the services decide who may change what)."""

    message = "an agent key or a signed-in person with a role is required"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, AgentPrincipal) or CanView().has_permission(request, view)


def _actor(request):
    return request.user.agent if isinstance(request.user, AgentPrincipal) else request.user


class HoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Resource holds: listed by anyone with a role or an agent key; created by agents,
    reviewers or admins; released by their author or a reviewer."""

    authentication_classes = [AgentKeyAuthentication, SessionAuthentication]
    permission_classes = [AgentOrStaff]
    serializer_class = HoldOut
    pagination_class = None

    def get_queryset(self):
        if self.action != "list":
            return selectors.hold_list(active=None)
        active = self.request.query_params.get("active", "true").lower()
        return selectors.hold_list(active={"true": True, "false": False}.get(active))

    @extend_schema(
        parameters=[
            OpenApiParameter("active", str, enum=["true", "false", "all"], description="default true")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=HoldIn, responses={201: HoldOut})
    def create(self, request):
        hold = services.hold_create(actor=_actor(request), **_valid(HoldIn, request))
        return Response(HoldOut(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HoldReleaseIn, responses=HoldOut)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        hold = services.hold_release(
            hold=self.get_object(), actor=_actor(request), **_valid(HoldReleaseIn, request)
        )
        return Response(HoldOut(hold).data)


class ApprovalPagination(CursorPagination):
    ordering = "-created_at"
    page_size = 50


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Escalated requests for reviewers: `?status=pending` (default), approved, rejected, expired or all."""

    lookup_field = "uuid"
    serializer_class = ApprovalRequestOut
    permission_classes = [CanView]
    pagination_class = ApprovalPagination

    def get_queryset(self):
        requests = (
            selectors.request_list().filter(approvals_required__gt=0).prefetch_related("approvals__reviewer")
        )
        if self.action != "list":
            return requests
        wanted = self.request.query_params.get("status", RequestStatus.PENDING)
        return requests if wanted == "all" else requests.filter(status=wanted)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=["pending", "approved", "rejected", "expired", "all"],
                description="default pending",
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _decide(self, request, approve: bool) -> Response:
        decided = services.approval_decide(
            request=self.get_object(), actor=request.user, approve=approve, **_valid(DecideIn, request)
        )
        return Response(ApprovalRequestOut(decided, context={"request": request}).data)

    @extend_schema(request=DecideIn, responses=ApprovalRequestOut)
    @action(detail=True, methods=["post"])
    def approve(self, request, uuid=None):
        return self._decide(request, approve=True)

    @extend_schema(request=DecideIn, responses=ApprovalRequestOut)
    @action(detail=True, methods=["post"])
    def reject(self, request, uuid=None):
        """A comment is required."""
        return self._decide(request, approve=False)


def _policy_input(data: dict):
    return data["yaml"] if "yaml" in data else data["document"]


def _policy_out(version) -> dict:
    version.yaml = policy_to_yaml(version.document)
    return PolicyOut(version).data


class PolicyView(APIView):
    """`GET /api/v1/policy/`: the policy in force (document and YAML); `POST` publishes a new
    version (admins), from YAML or a document, so CI can push policy that passed code review."""

    permission_classes = [StaffReadOrManage]

    @extend_schema(responses=PolicyOut)
    def get(self, request):
        version = selectors.policy_current()
        if version is None:
            raise NotFound("no policy has been published yet; every agent gets its tier default")
        return Response(_policy_out(version))

    @extend_schema(request=PolicyIn, responses={201: PolicyOut})
    def post(self, request):
        data = _valid(PolicyIn, request)
        version = services.policy_publish(
            actor=request.user, document=_policy_input(data), comment=data["comment"]
        )
        return Response(_policy_out(version), status=status.HTTP_201_CREATED)


class PolicySimulateView(APIView):
    """`POST /api/v1/policy/simulate/`: how a draft would have decided the last `days` of requests."""

    permission_classes = [CanManage]

    @extend_schema(request=SimulateIn, responses=SimulationOut)
    def post(self, request):
        data = _valid(SimulateIn, request)
        result = services.policy_simulate(document=_policy_input(data), days=data["days"])
        for example in result.examples:
            example.pop("request")
        return Response(SimulationOut(result).data)


class AgentLimitsView(APIView):
    """`GET|PUT /api/v1/agents/{slug}/limits/`: an agent's blast radius (admins change it)."""

    permission_classes = [StaffReadOrManage]

    def _agent(self, slug: str):
        from apps.registry.models import Agent

        return get_object_or_404(Agent, slug=slug)

    @extend_schema(responses=LimitsOut)
    def get(self, request, slug):
        limits = selectors.limits_of(self._agent(slug))
        if limits is None:
            raise NotFound("this agent has no limits: any resource, no rate limit, no budget")
        return Response(LimitsOut(limits).data)

    @extend_schema(request=LimitsIn, responses=LimitsOut)
    def put(self, request, slug):
        data = _valid(LimitsIn, request)
        data["rate_limits"] = [dict(limit) for limit in data["rate_limits"]]
        limits = services.agent_limits_set(agent=self._agent(slug), actor=request.user, **data)
        return Response(LimitsOut(limits).data)

"""Staff alert endpoints: every role reads; reviewers and admins acknowledge and silence."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from apps.accounts.permissions import CanHandleAlerts, CanView
from apps.alerts import selectors, services
from apps.alerts.filters import AlertFilter
from apps.alerts.models import AlertDelivery
from apps.alerts.serializers import AcknowledgeIn, AlertDetailOut, AlertOut, SilenceIn


class AlertCursor(CursorPagination):
    ordering = ("-last_seen", "-id")
    page_size = 50


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts, newest first; filter by state, severity, kind and agent (slug)."""

    filterset_class = AlertFilter
    pagination_class = AlertCursor

    def get_queryset(self):
        alerts = selectors.alert_list()
        if self.action == "retrieve":
            deliveries = AlertDelivery.objects.select_related("channel").order_by("-created_at", "-id")
            alerts = alerts.prefetch_related(Prefetch("deliveries", queryset=deliveries))
        return alerts

    def get_serializer_class(self):
        return AlertDetailOut if self.action == "retrieve" else AlertOut

    def get_permissions(self):
        return [CanHandleAlerts()] if self.action in ("acknowledge", "silence") else [CanView()]

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=AcknowledgeIn, responses=AlertOut)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = services.alert_acknowledge(
            alert=self.get_object(), actor=request.user, **self._valid(AcknowledgeIn)
        )
        return Response(AlertOut(alert).data)

    @extend_schema(request=SilenceIn, responses=AlertOut)
    @action(detail=True, methods=["post"])
    def silence(self, request, pk=None):
        alert = services.alert_silence(alert=self.get_object(), actor=request.user, **self._valid(SilenceIn))
        return Response(AlertOut(alert).data)

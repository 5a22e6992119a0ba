"""The one DRF router for `/api/v1/`."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.alerts.api import AlertViewSet
from apps.audit.api import EventDetailView, EventsView, TraceView
from apps.audit.exports.api import ExportDetailView, ExportDownloadView, ExportsView
from apps.audit.otlp.api import OtlpTracesView
from apps.governance.api import (
    ActionConsumeView,
    ActionDetailView,
    ActionOutcomeView,
    ActionsView,
    AgentLimitsView,
    ApprovalViewSet,
    HoldViewSet,
    PolicySimulateView,
    PolicyView,
)
from apps.monitoring.api import HeartbeatView
from apps.registry.api import AgentSelfView, AgentViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("agents", AgentViewSet, basename="agent")
router.register("alerts", AlertViewSet, basename="alert")
router.register("holds", HoldViewSet, basename="hold")
router.register("approvals", ApprovalViewSet, basename="approval")

urlpatterns = [
    path("agent/me/", AgentSelfView.as_view(), name="agent-self"),
    path("events/", EventsView.as_view(), name="events"),
    path("events/<uuid:uuid>/", EventDetailView.as_view(), name="event-detail"),
    path("traces/<path:trace_id>/", TraceView.as_view(), name="trace"),
    # No trailing slash: OTLP exporters append exactly `/v1/traces` to their base endpoint.
    path("otlp/v1/traces", OtlpTracesView.as_view(), name="otlp-traces"),
    path("heartbeats/", HeartbeatView.as_view(), name="heartbeats"),
    path("actions/", ActionsView.as_view(), name="actions"),
    path("actions/<uuid:uuid>/", ActionDetailView.as_view(), name="action-detail"),
    path("actions/<uuid:uuid>/outcome/", ActionOutcomeView.as_view(), name="action-outcome"),
    path("actions/<uuid:uuid>/consume/", ActionConsumeView.as_view(), name="action-consume"),
    path("agents/<slug:slug>/limits/", AgentLimitsView.as_view(), name="agent-limits"),
    path("policy/", PolicyView.as_view(), name="policy"),
    path("policy/simulate/", PolicySimulateView.as_view(), name="policy-simulate"),
    *router.urls,
    path("exports/", ExportsView.as_view(), name="exports"),
    path("exports/<uuid:uuid>/", ExportDetailView.as_view(), name="export-detail"),
    path("exports/<uuid:uuid>/download/", ExportDownloadView.as_view(), name="export-download"),
]

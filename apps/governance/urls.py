"""Governance pages, mounted at the site root: /approvals/, /policies/, /holds/, and the
limits page under /agents/<slug>/limits/ (next to the agent it belongs to)."""

from django.urls import path

from apps.governance import views

app_name = "governance"
urlpatterns = [
    path("approvals/", views.queue, name="queue"),
    path("approvals/pending-count/", views.pending_badge, name="pending_count"),
    path("approvals/<uuid:uuid>/", views.review, name="review"),
    path("approvals/<uuid:uuid>/approve/", views.decide, {"verdict": "approve"}, name="approve"),
    path("approvals/<uuid:uuid>/reject/", views.decide, {"verdict": "reject"}, name="reject"),
    path("policies/", views.policy_overview, name="policies"),
    path("policies/edit/", views.policy_edit, name="policy_edit"),
    path("policies/simulate/", views.policy_simulate, name="policy_simulate"),
    path("policies/policy.yaml", views.policy_download, name="policy_download_current"),
    path("policies/v<int:number>/", views.policy_version, name="policy_version"),
    path("policies/v<int:number>/policy.yaml", views.policy_download, name="policy_download"),
    path("holds/", views.hold_list, name="holds"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("agents/<slug:slug>/limits/", views.agent_limits, name="agent_limits"),
]

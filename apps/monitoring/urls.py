from django.urls import path

from apps.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.drift_fleet, name="drift"),
    path("agents/<slug:slug>/", views.agent_drift, name="agent_drift"),
    path("agents/<slug:slug>/settings/", views.monitor_settings, name="monitor_settings"),
]

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from agentgov import health, views

urlpatterns = [
    path("", views.overview, name="overview"),
    # Governance pages: /approvals/, /policies/, /holds/, /agents/<slug>/limits/.
    path("", include("apps.governance.urls")),
    path("drift/", include("apps.monitoring.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("agents/", include("apps.registry.urls")),
    path("audit/", include("apps.audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("agentgov.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

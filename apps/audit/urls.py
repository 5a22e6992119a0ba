from django.urls import path

from apps.audit import views
from apps.audit.exports import views as export_views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("events/<uuid:uuid>/", views.event_detail, name="event_detail"),
    # Agents choose their trace ids (up to 64 characters, any text): take the rest of the path.
    path("traces/<path:trace_id>/", views.trace_detail, name="trace_detail"),
    # Exports (apps/audit/exports/views.py); export_new takes the trail's filter querystring.
    path("exports/", export_views.export_list, name="export_list"),
    path("exports/new/", export_views.export_new, name="export_new"),
    path("exports/verify_bundle.py", export_views.export_verifier, name="export_verifier"),
    path("exports/<uuid:uuid>/", export_views.export_detail, name="export_detail"),
    path("exports/<uuid:uuid>/download/", export_views.export_download, name="export_download"),
]

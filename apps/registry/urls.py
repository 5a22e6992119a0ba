from django.urls import path, re_path

from apps.registry import views

app_name = "registry"

_actions = "|".join(views.LIFECYCLE_ACTIONS)

urlpatterns = [
    path("", views.agent_list, name="agent_list"),
    path("new/", views.agent_create, name="agent_create"),
    path("<slug:slug>/", views.agent_detail, name="agent_detail"),
    path("<slug:slug>/edit/", views.agent_edit, name="agent_edit"),
    path("<slug:slug>/deploy/", views.agent_deploy, name="agent_deploy"),
    re_path(
        rf"^(?P<slug>[-a-zA-Z0-9_]+)/(?P<action>{_actions})/$",
        views.agent_lifecycle,
        name="agent_lifecycle",
    ),
    path("<slug:slug>/keys/new/", views.key_create, name="key_create"),
    path("<slug:slug>/keys/<slug:prefix>/revoke/", views.key_revoke, name="key_revoke"),
    path("<slug:slug>/keys/<slug:prefix>/rotate/", views.key_rotate, name="key_rotate"),
]

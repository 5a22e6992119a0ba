from django.urls import path

from apps.alerts.views import alerts, channels, rules

app_name = "alerts"

urlpatterns = [
    path("", alerts.alert_list, name="alert_list"),
    path("<int:pk>/", alerts.alert_detail, name="alert_detail"),
    path("<int:pk>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("<int:pk>/silence/", alerts.alert_silence, name="alert_silence"),
    path("<int:pk>/unsilence/", alerts.alert_unsilence, name="alert_unsilence"),
    path("channels/", channels.channel_list, name="channel_list"),
    path("channels/new/", channels.channel_create, name="channel_create"),
    path("channels/<int:pk>/", channels.channel_detail, name="channel_detail"),
    path("channels/<int:pk>/edit/", channels.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", channels.channel_test, name="channel_test"),
    path("channels/<int:pk>/enable/", channels.channel_enable, name="channel_enable"),
    path("channels/<int:pk>/disable/", channels.channel_disable, name="channel_disable"),
    path("channels/<int:pk>/rotate-secret/", channels.channel_rotate_secret, name="channel_rotate_secret"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", rules.rule_edit, name="rule_edit"),
]

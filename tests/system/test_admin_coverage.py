from django.apps import apps
from django.contrib import admin

OUR_APPS = ("accounts", "registry", "audit", "governance", "monitoring", "alerts")


def test_every_model_of_ours_has_an_admin():
    missing = [
        model._meta.label
        for app_label in OUR_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []

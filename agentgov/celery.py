"""The Celery app, as in Celery's "First steps with Django" recipe."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentgov.settings")

app = Celery("agentgov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

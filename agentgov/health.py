"""Probes for load balancers and orchestrators: no login, no session, tiny answers."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from agentgov.celery import app as celery_app


@require_GET
@never_cache
def healthz(request):
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any failure means "not ready", with the reason shown
        return False, f"{type(exc).__name__}: {exc}"


def _broker_ok() -> tuple[bool, str]:
    try:
        # A fresh connection to the configured URL, not a pooled one that may be stale.
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"


@require_GET
@never_cache
def readyz(request):
    """The database and the Celery broker are reachable; 503 names what is not."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(ok for ok, _ in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: detail for name, (_, detail) in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)

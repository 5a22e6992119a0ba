"""Beat tasks: thin, each claims its sweep first so a duplicated tick does nothing twice."""

from celery import shared_task
from django.conf import settings

from apps.monitoring.drift.check import drift_check
from apps.monitoring.health import health_sweep
from apps.monitoring.services import sweep_claim


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def check_health() -> int:
    """Returns how many agents changed state (-1: the tick was a duplicate)."""
    if not sweep_claim("health", spacing_seconds=settings.MONITORING_HEALTH_MIN_SPACING_SECONDS):
        return -1
    return len(health_sweep().changes)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=900, soft_time_limit=840)
def check_drift() -> int:
    """Returns how many agents drift (-1: the tick was a duplicate)."""
    if not sweep_claim("drift", spacing_seconds=settings.MONITORING_DRIFT_MIN_SPACING_SECONDS):
        return -1
    return drift_check().agents_drifting

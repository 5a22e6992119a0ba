"""Thin tasks: ids in, one service call. Safe to run twice."""

from celery import shared_task
from django.conf import settings

from apps.governance import services
from apps.governance.models import ActionRequest


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def expire_requests() -> int:
    return services.requests_expire_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def warn_expiring_requests() -> int:
    return services.requests_warn_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=60, soft_time_limit=50)
def notify_reviewers(request_id: int) -> int:
    request = ActionRequest.objects.select_related("agent").filter(pk=request_id).first()
    return services.reviewers_notify(request=request) if request else 0


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=60, soft_time_limit=50)
def deliver_callback(self, request_id: int) -> bool:
    """One attempt per run; a retryable failure is retried with exponential backoff."""
    result = services.callback_deliver(request_id=request_id, attempt=self.request.retries + 1)
    if result.retry and self.request.retries + 1 < settings.GOVERNANCE_CALLBACK_MAX_ATTEMPTS:
        countdown = min(settings.GOVERNANCE_CALLBACK_BACKOFF_SECONDS * 2**self.request.retries, 3600)
        raise self.retry(countdown=countdown, max_retries=settings.GOVERNANCE_CALLBACK_MAX_ATTEMPTS)
    return result.attempt is not None and result.attempt.ok

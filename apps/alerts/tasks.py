"""Alert tasks: thin, ids in, safe to run twice (every send is claimed first)."""

from celery import shared_task
from django.conf import settings

from apps.alerts.services import deliveries, rules

# Whatever the transport does, the task ends before the claim's lease does (see deliveries).
DELIVERY_TIME_LIMIT = settings.ALERTS_DELIVERY_TIME_LIMIT


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=60, soft_time_limit=50)
def fan_out(alert_id: int, event: str, episode: str) -> int:
    pending = deliveries.notifications_fan_out(alert_id=alert_id, event=event, episode=episode)
    for delivery_id in pending:
        deliver.delay(delivery_id)
    return len(pending)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded by ALERTS_DELIVERY_ATTEMPTS, counted in the attempt rows
    time_limit=DELIVERY_TIME_LIMIT,
    soft_time_limit=DELIVERY_TIME_LIMIT - 3,
)
def deliver(self, delivery_id: int) -> None:
    outcome = deliveries.delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_id is not None:
        raise self.retry(args=(outcome.retry_id,), countdown=outcome.countdown)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=110)
def send_due() -> int:
    """Repeats that are due, and attempts whose message was lost with a worker."""
    pending = deliveries.repeats_due() + deliveries.deliveries_stranded()
    for delivery_id in pending:
        deliver.delay(delivery_id)
    return len(pending)


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=280)
def evaluate_rules() -> int:
    return rules.rules_evaluate()

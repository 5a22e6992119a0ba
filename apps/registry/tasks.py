from celery import shared_task

from apps.registry.services import key_expiry_record_due


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def record_expired_keys() -> int:
    return key_expiry_record_due()

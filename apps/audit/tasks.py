from celery import shared_task

from apps.audit.checkpoints import checkpoints_write_due
from apps.audit.integrity import chains_verify
from apps.audit.retention import retention_purge


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=280)
def write_checkpoints() -> int:
    return checkpoints_write_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def purge_expired_events() -> int:
    return retention_purge()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3600, soft_time_limit=3500)
def verify_chains() -> bool:
    return chains_verify().ok

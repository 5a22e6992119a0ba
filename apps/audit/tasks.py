from celery import shared_task

from apps.audit.checkpoints import checkpoints_write_due
from apps.audit.exports.expiry import exports_expire
from apps.audit.exports.service import EXPORT_TIME_LIMIT, ExportBusy, export_run
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
    from apps.alerts.conditions import audit_chain_checked

    report = chains_verify()
    audit_chain_checked(report)  # fires the broken-chain alert, or resolves it
    return report.ok


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    time_limit=EXPORT_TIME_LIMIT,
    soft_time_limit=EXPORT_TIME_LIMIT - 60,
)
def run_export(self, export_id: int) -> None:
    try:
        export_run(export_id=export_id)
    except ExportBusy as busy:
        # A duplicate delivery while another worker runs it: look again once that run's
        # time limit has passed (it is done by then, or dead and claimable).
        raise self.retry(countdown=busy.retry_in) from None


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=570)
def expire_exports() -> int:
    return exports_expire()

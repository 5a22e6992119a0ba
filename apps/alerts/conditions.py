"""Alert conditions raised from other apps' results, kept here so those apps stay small."""

from apps.alerts.models import AlertKind, Severity
from apps.alerts.services import alert_fire, alert_resolve

AUDIT_CHAIN_FINGERPRINT = "audit_chain_broken"


def audit_chain_checked(report) -> None:
    """Fire (or resolve) the broken-chain alert from a verification of every chain."""
    if report.ok:
        alert_resolve(fingerprint=AUDIT_CHAIN_FINGERPRINT)
        return
    problems = [chain.problem for chain in report.chains if chain.problem]
    alert_fire(
        fingerprint=AUDIT_CHAIN_FINGERPRINT,
        kind=AlertKind.AUDIT_CHAIN_BROKEN,
        severity=Severity.CRITICAL,
        title=f"The audit trail's hash chain is broken ({len(problems)} chain{'s' if len(problems) != 1 else ''})",
        summary=report.first_problem,
        details={"scope": report.scope, "problems": problems[:20], "events_checked": report.events},
    )

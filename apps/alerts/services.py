"""Raising and resolving alerts: the one entry point every check calls."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.alerts.models import Alert, AlertKind, AlertState, Severity
from apps.audit.models import EventType
from apps.audit.services import SYSTEM, record


@transaction.atomic
def alert_fire(
    *,
    fingerprint: str,
    kind: AlertKind | str,
    severity: Severity | str,
    title: str,
    summary: str = "",
    agent=None,
    team: str = "",
    details: dict[str, Any] | None = None,
) -> Alert:
    """Raise the alert named by `fingerprint`, or refresh it if it is already firing.

    Safe to call on every check run: only the transition to firing is an audit event.
    """
    now = timezone.now()
    alert = Alert.objects.select_for_update().filter(fingerprint=fingerprint).first()
    became_firing = alert is None or alert.state != AlertState.FIRING
    if alert is None:
        alert = Alert(fingerprint=fingerprint, first_seen=now)
    elif became_firing:
        alert.first_seen, alert.resolved_at = now, None
        alert.acknowledged_by, alert.acknowledged_at = None, None
    alert.kind, alert.severity, alert.title, alert.summary = kind, severity, title, summary
    alert.agent, alert.team, alert.details = agent, team or (agent.team if agent else ""), details or {}
    alert.state, alert.last_seen = AlertState.FIRING, now
    alert.save()
    if became_firing:
        record(
            actor=SYSTEM,
            type=EventType.CHANGE,
            name="alert.fired",
            agent=agent,
            resource=f"alert:{fingerprint}",
            data={"severity": str(severity), "kind": str(kind), "title": title},
        )
    return alert


@transaction.atomic
def alert_resolve(*, fingerprint: str) -> Alert | None:
    """Resolve the alert if it is firing; does nothing (and returns None) otherwise."""
    alert = Alert.objects.select_for_update().filter(fingerprint=fingerprint, state=AlertState.FIRING).first()
    if alert is None:
        return None
    alert.state, alert.resolved_at = AlertState.RESOLVED, timezone.now()
    alert.save(update_fields=["state", "resolved_at"])
    record(
        actor=SYSTEM,
        type=EventType.CHANGE,
        name="alert.resolved",
        agent=alert.agent,
        resource=f"alert:{fingerprint}",
        data={"kind": alert.kind},
    )
    return alert

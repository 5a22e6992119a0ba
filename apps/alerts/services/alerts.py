"""Raising, resolving and handling alerts: the one entry point every check calls."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from apps.alerts.models import Alert, AlertKind, AlertState, DeliveryEvent, Severity
from apps.audit.models import EventType
from apps.audit.services import SYSTEM, record

MAX_SILENCE = timedelta(days=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def episode_of(alert: Alert) -> str:
    """Names one firing period of an alert (it restarts at each re-fire): notification
    keys include it, so a re-fired alert is announced again but one firing only once."""
    return str((alert.first_seen - _EPOCH) // timedelta(microseconds=1))


def _announce(alert: Alert, event: DeliveryEvent) -> None:
    from apps.alerts.tasks import fan_out

    fan_out.delay_on_commit(alert.pk, event.value, episode_of(alert))


def _locked(fingerprint: str) -> Alert | None:
    return Alert.objects.select_for_update().filter(fingerprint=fingerprint).first()


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

    Safe to call on every check run: only the transition to firing is an audit event and
    sends notifications (after commit, to the channels that route it).
    """
    kind, severity = AlertKind(kind), Severity(severity)  # a check passing a typo fails here, loudly
    now = timezone.now()
    alert = _locked(fingerprint)
    if alert is None:
        try:
            # Two checks raising a new condition at once: the second locks the first's row.
            with transaction.atomic():
                Alert.objects.create(
                    fingerprint=fingerprint,
                    kind=kind,
                    severity=severity,
                    title=title,
                    state=AlertState.RESOLVED,
                )
        except IntegrityError:
            pass
        alert = _locked(fingerprint)
    became_firing = alert.state != AlertState.FIRING
    if became_firing:
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
        _announce(alert, DeliveryEvent.FIRING)
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
    _announce(alert, DeliveryEvent.RESOLVED)
    return alert


def _locked_alert(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("agent").get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor, note: str = "") -> Alert:
    """Someone is on it: repeats stop until the alert resolves and fires again."""
    alert = _locked_alert(alert)
    if alert.state != AlertState.FIRING:
        raise ConflictError("only a firing alert can be acknowledged; this one is resolved")
    if alert.acknowledged_at is not None:
        raise ConflictError(f"already acknowledged by {alert.acknowledged_by.get_username()}")
    alert.acknowledged_by, alert.acknowledged_at = actor, timezone.now()
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="alert.acknowledged",
        agent=alert.agent,
        resource=f"alert:{alert.fingerprint}",
        rationale=note.strip(),
        data={"kind": alert.kind, "title": alert.title},
    )
    return alert


@transaction.atomic
def alert_silence(*, alert: Alert, actor, until: datetime, reason: str) -> Alert:
    """No notification about this alert is sent until `until` (it still shows as firing)."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("say why the alert is silenced", field="reason")
    now = timezone.now()
    if until <= now:
        raise ApplicationError("the silence must end in the future", field="until")
    if until > now + MAX_SILENCE:
        raise ApplicationError("a silence lasts at most 30 days; silence it again then", field="until")
    alert = _locked_alert(alert)
    alert.silenced_until = until
    alert.save(update_fields=["silenced_until"])
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="alert.silenced",
        agent=alert.agent,
        resource=f"alert:{alert.fingerprint}",
        rationale=reason,
        data={"until": until.isoformat(), "kind": alert.kind},
    )
    return alert


@transaction.atomic
def alert_unsilence(*, alert: Alert, actor) -> Alert:
    alert = _locked_alert(alert)
    if not alert.is_silenced:
        raise ConflictError("this alert is not silenced")
    alert.silenced_until = None
    alert.save(update_fields=["silenced_until"])
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="alert.unsilenced",
        agent=alert.agent,
        resource=f"alert:{alert.fingerprint}",
        data={"kind": alert.kind},
    )
    return alert

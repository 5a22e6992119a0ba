"""Firing, resolving, acknowledging and silencing alerts, and what each announces."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from apps.alerts import services
from apps.alerts.models import Alert, AlertState
from apps.audit.models import AuditEvent
from tests.alerts.conftest import fire

pytestmark = pytest.mark.django_db


def test_firing_twice_keeps_one_alert_and_announces_it_once(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = fire()
    with django_capture_on_commit_callbacks(execute=True):
        again = fire(title="Disk still on fire")

    assert first.pk == again.pk and Alert.objects.count() == 1
    assert again.title == "Disk still on fire" and again.first_seen == first.first_seen
    assert [name for name, _ in queued] == ["apps.alerts.tasks.fan_out"]
    assert queued[0][1][:2] == (first.pk, "firing")
    assert AuditEvent.objects.filter(name="alert.fired").count() == 1


def test_resolving_announces_it_and_a_second_resolve_does_nothing(queued, django_capture_on_commit_callbacks):
    alert = fire()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_resolve(fingerprint=alert.fingerprint) is not None
        assert services.alert_resolve(fingerprint=alert.fingerprint) is None

    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_at
    assert [args[1] for _, args in queued] == ["resolved"]


def test_a_refired_alert_is_a_new_episode_and_forgets_its_acknowledgement(queued, make_user):
    alert = fire()
    services.alert_acknowledge(alert=alert, actor=make_user("reviewer"))
    services.alert_resolve(fingerprint=alert.fingerprint)

    again = fire()
    assert again.first_seen > alert.first_seen
    assert again.acknowledged_at is None and again.acknowledged_by is None


def test_an_acknowledgement_is_audited_with_its_note_and_only_once(make_user):
    reviewer = make_user("reviewer")
    alert = services.alert_acknowledge(alert=fire(), actor=reviewer, note="looking at it")

    assert alert.acknowledged_by == reviewer and alert.acknowledged_at
    event = AuditEvent.objects.get(name="alert.acknowledged")
    assert event.actor_user == reviewer and event.rationale == "looking at it"
    with pytest.raises(ConflictError, match="already acknowledged"):
        services.alert_acknowledge(alert=alert, actor=reviewer)


def test_a_resolved_alert_cannot_be_acknowledged(make_user):
    alert = fire()
    services.alert_resolve(fingerprint=alert.fingerprint)
    with pytest.raises(ConflictError, match="resolved"):
        services.alert_acknowledge(alert=alert, actor=make_user("reviewer"))


def test_a_silence_needs_a_reason_and_a_future_end_within_thirty_days(make_user):
    reviewer, alert, now = make_user("reviewer"), fire(), timezone.now()
    with pytest.raises(ApplicationError, match="say why") as refused:
        services.alert_silence(alert=alert, actor=reviewer, until=now + timedelta(hours=1), reason=" ")
    assert refused.value.field == "reason"
    with pytest.raises(ApplicationError, match="future"):
        services.alert_silence(alert=alert, actor=reviewer, until=now - timedelta(minutes=1), reason="x")
    with pytest.raises(ApplicationError, match="30 days"):
        services.alert_silence(alert=alert, actor=reviewer, until=now + timedelta(days=31), reason="x")

    silenced = services.alert_silence(
        alert=alert, actor=reviewer, until=now + timedelta(hours=2), reason="deploy"
    )
    assert silenced.is_silenced
    assert AuditEvent.objects.get(name="alert.silenced").rationale == "deploy"
    assert not services.alert_unsilence(alert=alert, actor=reviewer).is_silenced
    assert AuditEvent.objects.filter(name="alert.unsilenced").exists()


def test_a_silenced_alert_that_fires_again_is_not_announced_to_channels(queued, webhook, make_user):
    from apps.alerts.services.alerts import episode_of
    from apps.alerts.services.deliveries import notifications_fan_out

    webhook()
    alert = fire()
    services.alert_silence(
        alert=alert, actor=make_user("reviewer"), until=timezone.now() + timedelta(hours=1), reason="known"
    )
    assert notifications_fan_out(alert_id=alert.pk, event="firing", episode=episode_of(alert)) == []


def test_an_agents_alert_takes_the_agents_team(live_agent):
    live_agent.team = "payments"
    live_agent.save(update_fields=["team"])
    assert fire(agent=live_agent).team == "payments"

"""Demo alerts for `seed_demo`: two channels (the webhook disabled, pointing nowhere), a
rule, an alert firing and one resolved, with the deliveries they had. Idempotent."""

from django.db import transaction

from apps.accounts.models import User
from apps.alerts import services
from apps.alerts.models import AlertDelivery, AlertKind, Channel, DeliveryResult, Severity
from apps.alerts.services.alerts import episode_of
from apps.alerts.services.deliveries import notification_key
from apps.registry.models import Agent

WEBHOOK = "Demo webhook"


def _delivered(alert, event: str, channel: Channel) -> None:
    """The attempt the worker would have made, recorded under the same key, so the fan-out
    queued by the alert finds it done and sends nothing from the demo."""
    AlertDelivery.objects.get_or_create(
        key=notification_key(alert, episode_of(alert), event, channel),
        attempt=1,
        defaults={"alert": alert, "channel": channel, "event": event, "result": DeliveryResult.SENT},
    )


@transaction.atomic
def demo_alerts_seed() -> int:
    """Returns the number of alerts created (0 when the demo alerts exist already)."""
    admin = User.objects.filter(username="maria.ops").first()
    if admin is None or Channel.objects.filter(name=WEBHOOK).exists():
        return 0
    webhook = services.channel_create(
        actor=admin,
        kind="webhook",
        name=WEBHOOK,
        target="http://127.0.0.1:9/agentgov-demo",
        min_severity=Severity.WARNING,
    )
    services.channel_disable(
        channel=webhook,
        actor=admin,
        reason="Demo channel: nothing listens at 127.0.0.1:9. Point it at your receiver, send a test, then enable it.",
    )
    email = services.channel_create(
        actor=admin,
        kind="email",
        name="On-call email",
        target="oncall@example.com",
        min_severity=Severity.WARNING,
    )
    rule = services.rule_create(
        actor=admin,
        name="Fleet error rate",
        metric="error_rate",
        agent=None,
        comparison="gt",
        threshold=15,
        window_minutes=60,
        min_events=50,
        severity=Severity.WARNING,
        enabled=True,
    )
    firing = services.alert_fire(
        fingerprint=rule.fingerprint,
        kind=AlertKind.THRESHOLD,
        severity=Severity.WARNING,
        title="Fleet error rate: Error rate (%) of the fleet is 18.2",
        summary="Error rate (%) over the last 60 min is 18.2, above the threshold of 15 (231 events).",
        details={"rule": rule.pk, "metric": rule.metric, "value": 18.2, "threshold": 15.0, "demo": True},
    )
    _delivered(firing, "firing", email)
    agent = Agent.objects.filter(slug="code-review-assistant").first()
    resolved = services.alert_fire(
        fingerprint="demo:latency:code-review-assistant",
        kind=AlertKind.AGENT_DEGRADED,
        severity=Severity.WARNING,
        title="code-review-assistant is degraded: p95 latency 4.1 s",
        summary="p95 latency over the last 15 minutes was 4.1 s, above its threshold of 3 s.",
        agent=agent,
        details={"demo": True},
    )
    services.alert_resolve(fingerprint=resolved.fingerprint)
    _delivered(resolved, "firing", email)
    _delivered(resolved, "resolved", email)
    return 2

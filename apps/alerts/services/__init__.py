"""Every write of the alerts app. Checks elsewhere call `alert_fire` / `alert_resolve`."""

from apps.alerts.services.alerts import (
    alert_acknowledge,
    alert_fire,
    alert_resolve,
    alert_silence,
    alert_unsilence,
)
from apps.alerts.services.channels import (
    channel_create,
    channel_disable,
    channel_enable,
    channel_rotate_secret,
    channel_test,
    channel_update,
)
from apps.alerts.services.rules import rule_create, rule_update, rules_evaluate

__all__ = [
    "alert_acknowledge",
    "alert_fire",
    "alert_resolve",
    "alert_silence",
    "alert_unsilence",
    "channel_create",
    "channel_disable",
    "channel_enable",
    "channel_rotate_secret",
    "channel_test",
    "channel_update",
    "rule_create",
    "rule_update",
    "rules_evaluate",
]

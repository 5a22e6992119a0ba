"""Alert transports, one module per channel kind (healthchecks' shape)."""

from apps.alerts.transports.base import Transport, TransportError
from apps.alerts.transports.email import EmailTransport
from apps.alerts.transports.slack import SlackTransport
from apps.alerts.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    cls.kind: cls for cls in (EmailTransport, WebhookTransport, SlackTransport)
}

__all__ = ["TRANSPORTS", "Transport", "TransportError"]

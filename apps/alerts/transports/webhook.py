"""Generic webhook: a JSON POST whose body is signed with the channel's secret."""

import hashlib
import hmac
import json

from django.core.serializers.json import DjangoJSONEncoder

from apps.alerts import messages
from apps.alerts.transports.base import Transport, clean_http_url, post

SIGNATURE_HEADER = "X-Agentgov-Signature"
DELIVERY_HEADER = "X-Agentgov-Delivery"


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of the body, as a receiver recomputes it to trust the sender."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header or "")


class WebhookTransport(Transport):
    kind = "webhook"
    target_help = "The URL agentgov POSTs JSON to."

    def notify(self, alert, event: str, key: str) -> None:
        body = json.dumps(messages.payload(alert, event, key), cls=DjangoJSONEncoder).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "agentgov-alerts",
            DELIVERY_HEADER: key,
            SIGNATURE_HEADER: sign(self.channel.secret, body),
        }
        post(self.channel.target, content=body, headers=headers)

    @classmethod
    def clean_target(cls, target: str) -> str:
        return clean_http_url(target)

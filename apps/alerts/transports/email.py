"""Email through Django's configured mail backend."""

import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from agentgov.errors import ApplicationError
from apps.alerts import messages
from apps.alerts.transports.base import Transport, TransportError


def addresses(target: str) -> list[str]:
    return [part.strip() for part in target.replace(";", ",").split(",") if part.strip()]


class EmailTransport(Transport):
    kind = "email"
    target_help = "One or more addresses, separated by commas."

    def notify(self, alert, event: str, key: str) -> None:
        try:
            send_mail(
                messages.headline(alert, event),
                messages.body_text(alert, event),
                settings.DEFAULT_FROM_EMAIL,
                addresses(self.channel.target),
            )
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"every recipient was refused: {exc}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"mail server: {exc}") from exc

    @classmethod
    def clean_target(cls, target: str) -> str:
        found = addresses(target)
        if not found:
            raise ApplicationError("enter at least one email address", field="target")
        for address in found:
            try:
                validate_email(address)
            except ValidationError:
                raise ApplicationError(f"{address!r} is not an email address", field="target") from None
        return ", ".join(found)

"""What a notification says, in one place for every transport."""

from typing import Any

from django.conf import settings
from django.urls import reverse

HEADLINES = {
    "firing": "FIRING",
    "repeat": "STILL FIRING",
    "resolved": "RESOLVED",
    "test": "TEST",
}


def alert_url(alert) -> str:
    return settings.AGENTGOV_BASE_URL.rstrip("/") + reverse("alerts:alert_detail", args=[alert.pk])


def headline(alert, event: str) -> str:
    if alert is None:
        return "[agentgov] TEST: this channel works"
    return f"[agentgov] {HEADLINES[event]} {alert.severity}: {alert.title}"


def body_text(alert, event: str) -> str:
    if alert is None:
        return "A test notification from agentgov. No alert is firing because of it."
    lines = [headline(alert, event), ""]
    if alert.summary:
        lines += [alert.summary, ""]
    lines += [
        f"Kind: {alert.get_kind_display()}",
        f"Agent: {alert.agent.slug if alert.agent_id else '(fleet)'}",
        f"Since: {alert.first_seen:%Y-%m-%d %H:%M:%S %Z}",
    ]
    if alert.resolved_at and event == "resolved":
        lines.append(f"Resolved: {alert.resolved_at:%Y-%m-%d %H:%M:%S %Z}")
    lines.append(f"Details: {alert_url(alert)}")
    return "\n".join(lines)


def payload(alert, event: str, key: str) -> dict[str, Any]:
    """The webhook body: stable field names a receiver can rely on."""
    body: dict[str, Any] = {"event": event, "delivery": key, "alert": None}
    if alert is not None:
        body["alert"] = {
            "id": alert.pk,
            "fingerprint": alert.fingerprint,
            "kind": alert.kind,
            "severity": alert.severity,
            "state": alert.state,
            "title": alert.title,
            "summary": alert.summary,
            "agent": alert.agent.slug if alert.agent_id else None,
            "team": alert.team,
            "details": alert.details,
            "first_seen": alert.first_seen.isoformat(),
            "last_seen": alert.last_seen.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "acknowledged": alert.acknowledged_at is not None,
            "url": alert_url(alert),
        }
    return body

"""Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): text plus blocks."""

import json

from apps.alerts import messages
from apps.alerts.transports.base import Transport, clean_http_url, post

EMOJI = {"firing": ":rotating_light:", "repeat": ":rotating_light:", "resolved": ":white_check_mark:"}


class SlackTransport(Transport):
    kind = "slack"
    target_help = "The incoming webhook URL the chat tool gave you."

    def notify(self, alert, event: str, key: str) -> None:
        text = messages.headline(alert, event)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{EMOJI.get(event, '')} *{text}*"}}]
        if alert is not None:
            detail = (
                alert.summary + "\n" if alert.summary else ""
            ) + f"<{messages.alert_url(alert)}|Open in agentgov>"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": detail}})
        body = json.dumps({"text": text, "blocks": blocks}).encode()
        post(self.channel.target, content=body, headers={"Content-Type": "application/json"})

    @classmethod
    def clean_target(cls, target: str) -> str:
        return clean_http_url(target)

"""Each transport: what it sends, how it validates its target, how failures are sorted."""

import json
from unittest import mock

import httpx
import pytest
from django.core import mail

from agentgov.errors import ApplicationError
from apps.alerts.models import Channel
from apps.alerts.transports import TRANSPORTS, TransportError
from apps.alerts.transports.base import post
from tests.alerts.conftest import fire

pytestmark = pytest.mark.django_db


def test_every_channel_kind_has_a_transport():
    from apps.alerts.models import ChannelKind

    assert set(TRANSPORTS) == set(ChannelKind.values)


def test_email_goes_through_djangos_mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    channel = Channel(kind="email", name="oncall", target="a@example.com, b@example.com")
    TRANSPORTS["email"](channel).notify(fire(), "firing", "k1")

    [message] = mail.outbox
    assert message.to == ["a@example.com", "b@example.com"]
    assert message.subject == "[agentgov] FIRING critical: Disk on fire"
    assert "It is hot." in message.body and "/alerts/" in message.body


def test_email_targets_are_validated():
    assert TRANSPORTS["email"].clean_target(" a@example.com;b@example.com ") == "a@example.com, b@example.com"
    with pytest.raises(ApplicationError, match="'nope' is not an email address") as refused:
        TRANSPORTS["email"].clean_target("a@example.com, nope")
    assert refused.value.field == "target"


@pytest.mark.parametrize("target", ["", "ftp://example.com/x", "not a url", "http://"])
def test_webhook_targets_must_be_http_urls(target):
    for kind in ("webhook", "slack"):
        with pytest.raises(ApplicationError, match="http"):
            TRANSPORTS[kind].clean_target(target)


def test_slack_gets_text_and_blocks(receiver):
    channel = Channel(kind="slack", name="chat", target=receiver.url)
    TRANSPORTS["slack"](channel).notify(fire(), "resolved", "k1")

    body = receiver.requests[0].json
    assert body["text"] == "[agentgov] RESOLVED critical: Disk on fire"
    assert body["blocks"][0]["text"]["text"].startswith(":white_check_mark:")
    assert "Open in agentgov" in body["blocks"][1]["text"]["text"]


def test_a_test_send_has_no_alert(receiver):
    channel = Channel(kind="webhook", name="hook", target=receiver.url, secret="s")
    TRANSPORTS["webhook"](channel).notify(None, "test", "k1")
    assert receiver.requests[0].json == {"event": "test", "delivery": "k1", "alert": None}


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (404, True), (408, False), (429, False), (500, False)]
)
def test_http_failures_are_sorted_into_permanent_and_temporary(receiver, status, permanent):
    receiver.status = status
    with pytest.raises(TransportError) as failed:
        post(receiver.url, content=b"{}", headers={})
    assert failed.value.permanent is permanent and failed.value.message.startswith(f"HTTP {status}")


def test_network_errors_and_timeouts_are_temporary():
    timeout = httpx.ConnectTimeout("timed out")
    with (
        mock.patch("httpx.post", autospec=True, side_effect=timeout) as sent,
        pytest.raises(TransportError) as failed,
    ):
        post("http://192.0.2.1/hook", content=b"{}", headers={})
    assert not failed.value.permanent and "ConnectTimeout" in failed.value.message
    assert sent.call_args.kwargs["timeout"] > 0


def test_the_webhook_body_is_what_was_signed(receiver):
    channel = Channel(kind="webhook", name="hook", target=receiver.url, secret="shh")
    TRANSPORTS["webhook"](channel).notify(fire(), "firing", "k1")
    request = receiver.requests[0]
    assert request.signed_with("shh")
    assert request.headers["X-Agentgov-Signature"].startswith("sha256=")
    assert json.loads(request.body)["alert"]["severity"] == "critical"

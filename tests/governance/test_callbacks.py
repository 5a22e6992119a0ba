"""Decision callbacks on a real Celery worker, to a real HTTP receiver: signed, retried, stored."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from apps.governance import services, tasks
from apps.governance.models import ActionRequest, CallbackAttempt
from apps.registry.models import AgentStatus
from tests.celery_helpers import private_worker, send_delays_to, wait_for
from tests.factories import AgentFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        connection.vendor == "sqlite", reason="the worker needs the shared PostgreSQL test database"
    ),
]
KEY = "callback-test-key-0123456789"


class Receiver:
    """A small HTTP server answering with the statuses it is given, recording each POST."""

    def __init__(self, statuses: list[int]):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture
def worker_queue(transactional_db, monkeypatch, settings):
    monkeypatch.setenv("GOVERNANCE_CALLBACK_SIGNING_KEY", KEY)
    monkeypatch.setenv("GOVERNANCE_CALLBACK_BACKOFF_SECONDS", "1")
    settings.GOVERNANCE_CALLBACK_SIGNING_KEY = KEY
    with private_worker() as queue:
        send_delays_to(monkeypatch, tasks.deliver_callback, queue)
        yield queue


def _pending(callback_url: str) -> ActionRequest:
    agent = AgentFactory(slug="hooked-bot", risk_tier="high", status=AgentStatus.ACTIVE)
    return services.action_request(
        actor=agent, action="deploy", resource="service:x", callback_url=callback_url
    )


def test_the_decision_is_posted_signed_after_a_reviewer_approves(worker_queue, make_user):
    with Receiver([200]) as receiver:
        request = _pending(receiver.url)
        assert not receiver.received  # nothing is sent while it is pending
        services.approval_decide(
            request=request, actor=make_user("reviewer", username="ann"), approve=True, comment="ok"
        )
        assert wait_for(lambda: CallbackAttempt.objects.filter(request=request, ok=True).exists(), timeout=60)
    headers, body = receiver.received[0]
    assert services.verify_signature(body, headers["X-Agentgov-Signature"])
    assert headers["X-Agentgov-Signature"].startswith("sha256=")
    payload = json.loads(body)
    assert (payload["id"], payload["decision"], payload["decided_by"]) == (str(request.uuid), "allow", "ann")


def test_a_failing_receiver_is_retried_with_backoff_and_every_attempt_is_stored(worker_queue):
    with Receiver([500, 503, 200]) as receiver:
        request = _pending(receiver.url)
        services.request_expire(request_id=request.pk, now=request.expires_at)
        assert wait_for(lambda: CallbackAttempt.objects.filter(request=request, ok=True).exists(), timeout=90)
    attempts = list(
        CallbackAttempt.objects.filter(request=request)
        .order_by("attempt")
        .values_list("attempt", "status_code", "ok")
    )
    assert attempts == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert json.loads(receiver.received[-1][1])["reason"] == "expired"


def test_a_4xx_answer_is_not_retried(transactional_db, settings):
    settings.GOVERNANCE_CALLBACK_SIGNING_KEY = KEY
    with Receiver([410]) as receiver:
        request = _pending(receiver.url)
        ActionRequest.objects.filter(pk=request.pk).update(status="rejected", decision="deny")
        result = services.callback_deliver(request_id=request.pk, attempt=1)
    assert (result.retry, result.attempt.status_code) == (False, 410)


def test_an_unreachable_receiver_is_stored_and_retried(transactional_db):
    request = _pending("http://127.0.0.1:9/unreachable")
    ActionRequest.objects.filter(pk=request.pk).update(status="rejected", decision="deny")
    result = services.callback_deliver(request_id=request.pk, attempt=1)
    assert result.retry and result.attempt.error and result.attempt.status_code is None

"""Signed callbacks: the decision POSTed to the agent's callback_url, every attempt stored."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from apps.governance.models import ActionRequest, CallbackAttempt

SIGNATURE_HEADER = "X-Agentgov-Signature"


def signature(body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>` with GOVERNANCE_CALLBACK_SIGNING_KEY."""
    key = settings.GOVERNANCE_CALLBACK_SIGNING_KEY.encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str) -> bool:
    """What a receiver does (documented in the README): constant-time compare."""
    return hmac.compare_digest(signature(body), header or "")


@dataclass(frozen=True)
class CallbackResult:
    attempt: CallbackAttempt | None
    retry: bool  # failed in a way worth retrying


def callback_payload(request: ActionRequest) -> dict:
    from apps.governance.serializers import ActionOut

    return ActionOut(request).data


def callback_deliver(*, request_id: int, attempt: int) -> CallbackResult:
    """POST the request's decision once and store the attempt. Nothing is sent while the
    request is still pending. 4xx answers other than 408/429 are not retried."""
    request = ActionRequest.objects.select_related("agent", "decided_by").get(pk=request_id)
    if not request.callback_url or request.is_pending:
        return CallbackResult(None, retry=False)
    body = json.dumps(callback_payload(request), cls=DjangoJSONEncoder).encode()
    http = urllib.request.Request(
        request.callback_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "agentgov-callback/1",
            SIGNATURE_HEADER: signature(body),
            "X-Agentgov-Delivery": f"{request.uuid}:{attempt}",
        },
    )
    started, status_code, error = time.monotonic(), None, ""
    try:
        with urllib.request.urlopen(http, timeout=settings.GOVERNANCE_CALLBACK_TIMEOUT_SECONDS) as response:
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:1000]
    ok = status_code is not None and 200 <= status_code < 300
    stored = CallbackAttempt.objects.create(
        request=request,
        attempt=attempt,
        url=request.callback_url,
        ok=ok,
        status_code=status_code,
        error=error,
        duration_ms=(time.monotonic() - started) * 1000,
    )
    permanent = status_code is not None and 400 <= status_code < 500 and status_code not in (408, 429)
    return CallbackResult(stored, retry=not ok and not permanent)

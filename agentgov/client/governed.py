"""`@client.governed(...)`: ask agentgov before a tool runs, wait for a person if policy
says so, run only on `allow`, and report what happened.

Fails closed: if agentgov cannot be reached, or gives no decision before the caller's
timeout, the function does not run and ActionDenied (or its GovernanceUnavailable
subclass) is raised. One implementation serves sync and async functions: for async ones
the blocking HTTP calls run in a worker thread, so the event loop is never held.
"""

import asyncio
import functools
import inspect
import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from agentgov.client.errors import ActionDenied, AgentgovError, GovernanceUnavailable
from agentgov.client.jsonsafe import jsonable, summary
from agentgov.client.sender import RetryPolicy, problem_of, retryable
from agentgov.client.tracing import current_span

log = logging.getLogger("agentgov.client")

ACTIONS_PATH = "/api/v1/actions/"
LONG_POLL_MAX = 30  # seconds: what GET /api/v1/actions/{id}/?wait=N allows
MIN_POLL_INTERVAL = 1.0


class Gate:
    """The HTTP conversation of one governed call: ask, wait, report."""

    def __init__(self, http: httpx.Client, retry: RetryPolicy) -> None:
        self.http = http
        self.retry = retry

    def ask(
        self, *, action: str, resource: str, params: dict, rationale: str | None, wait_timeout: float
    ) -> dict:
        """The allowing answer of agentgov, or ActionDenied."""
        deadline = time.monotonic() + wait_timeout
        span = current_span()
        body: dict[str, Any] = {
            "action": action,
            "resource": resource,
            "params": params,
            "idempotency_key": uuid.uuid4().hex,  # makes a retried POST the same request
        }
        if rationale:
            body["rationale"] = rationale
        if span is not None:
            body.update(trace_id=span.trace_id, span_id=span.span_id)
        answer = self._call("POST", ACTIONS_PATH, deadline, json=body)
        action_id = str(answer.get("id", ""))
        while answer.get("decision") == "pending":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ActionDenied(
                    f"no decision on {action} {resource} within {wait_timeout:g}s",
                    decision="timeout",
                    action_id=action_id,
                    answer=answer,
                )
            wait = max(1, min(LONG_POLL_MAX, math.ceil(remaining)))
            asked = time.monotonic()
            answer = self._call(
                "GET", f"{ACTIONS_PATH}{action_id}/", deadline, params={"wait": wait}, timeout=wait + 15
            )
            if answer.get("decision") == "pending":
                # A server that answers at once (no long-poll) must not be asked in a tight loop.
                time.sleep(max(0.0, min(MIN_POLL_INTERVAL - (time.monotonic() - asked), remaining)))
        if answer.get("decision") != "allow":
            raise ActionDenied(
                _reason(answer), decision=_denial_kind(answer), action_id=action_id, answer=answer
            )
        return answer

    def report(self, action_id: str, *, status: str, output: Any, started: float) -> None:
        """Tell agentgov what happened. Never raises: the action has already happened, and
        a lost report must not turn the agent's success into a failure."""
        body = {"status": status, "output": output, "duration_ms": (time.perf_counter() - started) * 1000}
        for attempt in range(3):
            try:
                response = self.http.post(f"{ACTIONS_PATH}{action_id}/outcome/", json=body)
            except httpx.TransportError as exc:
                problem = str(exc)
            else:
                if not retryable(response):
                    if response.status_code >= 400:
                        log.error(
                            "agentgov refused the outcome of action %s: %s", action_id, problem_of(response)
                        )
                    return
                problem = f"HTTP {response.status_code}"
            time.sleep(self.retry.delay(attempt))
        log.error("agentgov: could not report the outcome of action %s (%s)", action_id, problem)

    def _call(self, method: str, path: str, deadline: float, **request: Any) -> dict:
        attempt = 0
        while True:
            try:
                response = self.http.request(method, path, **request)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if not retryable(response):
                    return _answer(response)
                problem = f"HTTP {response.status_code}"
            delay = self.retry.delay(attempt)
            if attempt >= self.retry.max_retries or time.monotonic() + delay > deadline:
                raise GovernanceUnavailable(f"could not reach agentgov to decide ({problem}); not running it")
            attempt += 1
            time.sleep(delay)


def _answer(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    message = problem_of(response)
    if response.status_code == 403:  # a paused or quarantined agent is refused outright
        raise ActionDenied(str(message), decision="deny", answer=answer)
    if response.status_code >= 400:
        raise AgentgovError(f"agentgov refused the request (HTTP {response.status_code}): {message}")
    if answer.get("decision") not in ("allow", "deny", "pending"):
        raise AgentgovError(f"agentgov answered without a decision: {response.text[:200]}")
    return answer


def _reason(answer: dict) -> str:
    reason = str(answer.get("reason") or "denied")
    who, comment = answer.get("decided_by"), answer.get("comment")
    if who or comment:
        reason += f" ({', '.join(str(part) for part in (who, comment) if part)})"
    return reason


def _denial_kind(answer: dict) -> str:
    return "expired" if answer.get("reason") == "expired" else "deny"


def governed(
    gate: Gate,
    action: str,
    resource: "str | Callable[[dict], str]" = "",
    *,
    wait_timeout: float = 300.0,
    rationale: str | None = None,
) -> Callable:
    """The decorator behind `Client.governed`. `resource` may use the call's arguments:
    `"service:{name}"`, or a function of the params dict. The params sent are the call's
    arguments by name; a `rationale=` keyword at the call is sent as the rationale (and
    passed on only if the function itself takes one)."""

    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn)
        takes_rationale = "rationale" in signature.parameters

        def prepare(args: tuple, kwargs: dict) -> tuple[dict, dict]:
            why = kwargs.get("rationale") if takes_rationale else kwargs.pop("rationale", None)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            params: dict[str, Any] = {}
            for name, value in bound.arguments.items():
                if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                    params.update(value)  # **details: flat, so policies can test params.amount
                elif name not in ("self", "cls"):
                    params[name] = value
            params = jsonable(params)
            question = {
                "action": action,
                "resource": _resource_for(resource, params),
                "params": params,
                "rationale": why or rationale,
                "wait_timeout": wait_timeout,
            }
            return kwargs, question

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                kwargs, question = prepare(args, kwargs)
                approval = await asyncio.to_thread(gate.ask, **question)
                started = time.perf_counter()
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    await asyncio.to_thread(gate.report, approval["id"], **_failure(exc, started))
                    raise
                await asyncio.to_thread(gate.report, approval["id"], **_success(result, started))
                return result

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            kwargs, question = prepare(args, kwargs)
            approval = gate.ask(**question)
            started = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                gate.report(approval["id"], **_failure(exc, started))
                raise
            gate.report(approval["id"], **_success(result, started))
            return result

        return run

    return decorate


def _resource_for(resource: "str | Callable[[dict], str]", params: dict) -> str:
    if callable(resource):
        return str(resource(params))
    try:
        return resource.format_map(params) if "{" in resource else resource
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"resource {resource!r} names an argument the call does not have: {exc}") from None


# The server's outcome statuses (apps.governance.models.OutcomeStatus).
def _success(result: Any, started: float) -> dict:
    return {"status": "succeeded", "output": summary(result), "started": started}


def _failure(exc: BaseException, started: float) -> dict:
    return {"status": "failed", "output": f"{type(exc).__name__}: {exc}"[:2000], "started": started}

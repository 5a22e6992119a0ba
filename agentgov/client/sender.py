"""The background sender: a bounded queue of encoded events, posted in batches by one thread.

The agent's thread only ever does `put_nowait`: when the queue is full the event is dropped
and counted, never waited for. The sender thread retries a batch with exponential backoff
(and jitter) on connection errors, 429 and 5xx; a 4xx is not retried. Event ids make a retry
safe: agentgov stores a resent event once.
"""

import contextlib
import json
import logging
import queue
import random
import re
import threading
import time
from dataclasses import dataclass, fields

import httpx

log = logging.getLogger("agentgov.client")

EVENTS_PATH = "/api/v1/events/"
MAX_BATCH = 1000  # what POST /api/v1/events/ takes at most


@dataclass
class Stats:
    """Counters since the client started. `dropped`: not queued (queue full or client closed);
    `rejected`: refused by agentgov (4xx, or invalid events); `failed`: given up after retries;
    `unsent`: still queued when close() gave up waiting."""

    queued: int = 0
    sent: int = 0
    duplicates: int = 0
    dropped: int = 0
    rejected: int = 0
    failed: int = 0
    unsent: int = 0
    retries: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass
class RetryPolicy:
    max_retries: int = 6
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_backoff: float = 30.0

    def delay(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2**attempt))
        return base * random.uniform(0.5, 1.0)  # jitter: a fleet must not retry in lockstep


def retryable(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


class Sender:
    def __init__(
        self,
        http: httpx.Client,
        *,
        max_queue: int,
        batch_size: int,
        flush_interval: float,
        retry: RetryPolicy,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        self.http = http
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.retry = retry
        self.stats = Stats()
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0  # queued or in flight
        self._wake = threading.Event()  # flush(): send now rather than after flush_interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the agent's side ---------------------------------------------------------------

    def put(self, encoded_event: str) -> bool:
        """Queue one JSON-encoded event; False (and counted) if it had to be dropped."""
        if self._stopping.is_set():
            self._count(dropped=1)
            return False
        self._ensure_thread()
        with self._lock:
            try:
                self._queue.put_nowait(encoded_event)
            except queue.Full:
                self.stats.dropped += 1
                return False
            self._unfinished += 1
            self.stats.queued += 1
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is sent or given up; False on timeout."""
        self._wake.set()
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        flushed = self.flush(timeout)
        self._stopping.set()
        self._wake.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # wakes the thread from its wait for the next event
        if self._thread is not None:
            self._thread.join(timeout=1.0 if flushed else 0.1)
        if flushed:
            self.http.close()  # else the thread may still be retrying with it; it is a daemon
        if not flushed:
            with self._lock:
                self.stats.unsent += self._unfinished
            log.warning("agentgov: %d event(s) not sent before close() gave up", self._unfinished)

    # -- the sender thread ----------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="agentgov-sender", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not (self._stopping.is_set() and self._queue.empty()):
            batch = self._collect()
            if not batch:
                continue
            try:
                self._send(batch)
            except Exception:  # the thread must survive anything; the batch is counted lost
                log.exception("agentgov: unexpected error sending %d event(s)", len(batch))
                self._count(failed=len(batch))
            finally:
                with self._idle:
                    self._unfinished -= len(batch)
                    if self._unfinished == 0:
                        self._wake.clear()
                    self._idle.notify_all()

    def _collect(self) -> list[str]:
        """Up to batch_size events: waits for the first, then lingers up to flush_interval
        for more unless a flush or close asks to send now."""
        try:
            first = self._queue.get(timeout=self.flush_interval)
        except queue.Empty:
            return []
        if first is None:
            return []  # close() woke us
        batch = [first]
        deadline = time.monotonic() + self.flush_interval
        while len(batch) < self.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                pass
            else:
                if item is not None:
                    batch.append(item)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._wake.is_set():
                break
            self._wake.wait(min(remaining, 0.05))
        return batch

    def _send(self, batch: list[str]) -> None:
        attempt = 0
        while True:
            try:
                response = self.http.post(
                    EVENTS_PATH,
                    content=f'{{"events":[{",".join(batch)}]}}'.encode(),
                    headers={"Content-Type": "application/json"},
                )
            except httpx.TransportError as exc:
                problem, response = f"{type(exc).__name__}: {exc}", None
            else:
                if not retryable(response):
                    self._settle(batch, response)
                    return
                problem = f"HTTP {response.status_code}"
            if attempt >= self.retry.max_retries:
                log.error(
                    "agentgov: gave up on %d event(s) after %d retries (%s)", len(batch), attempt, problem
                )
                self._count(failed=len(batch))
                return
            delay = self.retry.delay(attempt)
            if response is not None and response.headers.get("Retry-After", "").isdigit():
                delay = max(delay, min(float(response.headers["Retry-After"]), self.retry.max_backoff))
            log.warning("agentgov: %s sending %d event(s); retrying in %.1fs", problem, len(batch), delay)
            self._count(retries=1)
            attempt += 1
            time.sleep(delay)

    def _settle(self, batch: list[str], response: httpx.Response) -> None:
        answer = _json_or_empty(response)
        if response.status_code in (200, 202, 409):
            self._count(
                batches=1,
                sent=answer.get("accepted", 0),
                duplicates=answer.get("duplicates", 0),
                rejected=len(answer.get("rejected", [])),
            )
            for item in answer.get("rejected", [])[:3]:
                log.warning("agentgov rejected an event: %s", item.get("message"))
            return
        bad = {error.get("index") for error in answer.get("errors", []) if isinstance(error, dict)}
        if response.status_code == 400 and bad and None not in bad and len(bad) < len(batch):
            # Invalid events name their index: set them aside and send the others again.
            log.warning("agentgov refused %d invalid event(s): %s", len(bad), answer.get("errors", [])[:3])
            self._count(rejected=len(bad))
            self._send([event for index, event in enumerate(batch) if index not in bad])
            return
        if response.status_code == 413 and len(batch) > 1:
            half = len(batch) // 2  # too big in bytes: halve it until it fits
            self._send(batch[:half])
            self._send(batch[half:])
            return
        log.error(
            "agentgov refused %d event(s) with HTTP %d: %s",
            len(batch),
            response.status_code,
            problem_of(response),
        )
        self._count(rejected=len(batch))

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, amount in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + amount)


def _json_or_empty(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return answer if isinstance(answer, dict) else {}


def problem_of(response: httpx.Response) -> str:
    """agentgov's error message, or the start of whatever else answered (an HTML 404 page)."""
    answer = _json_or_empty(response)
    if answer.get("error") or answer.get("detail"):
        return str(answer.get("error") or answer.get("detail"))
    text = " ".join(response.text.split())
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE)
    return (title.group(1).strip() if title else text)[:120]

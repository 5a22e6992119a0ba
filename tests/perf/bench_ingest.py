"""Ingestion throughput through the HTTP API under gunicorn, on PostgreSQL, comparing the
insert paths (COPY, executemany, bulk_create). Run through `make bench`."""

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from apps.accounts.services import user_create
from apps.audit.models import AuditEvent
from apps.registry import services
from tests.perf.tables import print_table

ROOT = Path(__file__).resolve().parents[2]
PORT = 8799
# gunicorn's documented starting point, (2 x cores) + 1: requests spend much of their time
# waiting on PostgreSQL (each commit waits for the WAL flush), so cores alone leave CPU idle.
WORKERS = 2 * (os.cpu_count() or 1) + 1
BATCH = 500
BATCHES = 60
SINGLES = 1500
CLIENTS = 6


def _event(batch: int, i: int) -> dict:
    """About 1 KB of JSON: a tool call with input, output and usage."""
    return {
        "id": f"b{batch}-{i}",
        "type": "tool_call",
        "trace_id": f"trace-{batch}",
        "span_id": f"s{i}",
        "parent_span_id": "root",
        "name": "github.comment",
        "resource": "github:acme/payments#42",
        "input": {
            "pull_request": 42,
            "path": "src/payments/refunds.py",
            "line": 10 + i,
            "body": "Consider renaming this variable; the name hides that it holds cents. " * 5,
        },
        "output": {"comment_id": 1_000_000 + i, "url": f"https://github.com/acme/payments/pull/42#c{i}"},
        "duration_ms": 231.5,
        "cost_usd": 0.0012,
        "tokens_in": 900,
        "tokens_out": 120,
        "attributes": {"model": "gpt-4.1", "attempt": 1},
    }


@contextmanager
def gunicorn_serving(insert_method: str, port: int = PORT) -> Iterator[subprocess.Popen]:
    """gunicorn on this benchmark's database for the `with` block, stopped after it."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k" * 50,
        "AUDIT_SIGNING_KEY": "bench-" + "s" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "AUDIT_INGEST_INSERT": insert_method,
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "agentgov.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("gunicorn did not start")
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post(raw_key: str, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request(
        "POST",
        "/api/v1/events/",
        body=body,
        headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def _throughput(requests: list[tuple[str, bytes]]) -> float:
    """Seconds to send every (agent key, body) pair from CLIENTS threads."""
    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda request: _post(*request), requests))
    elapsed = time.perf_counter() - start
    bad = [s for s in statuses if s != 202]
    if bad:
        raise RuntimeError(f"{len(bad)} requests failed, e.g. HTTP {bad[0]}")
    return elapsed


def report() -> None:
    rows = measure()
    print_table(f"Ingestion through HTTP under gunicorn on {connection.vendor}", rows)


def _default_path(admin) -> list[tuple[str, str]]:
    """With the product's own choice (auto: COPY for batches, a prepared INSERT for single
    events): single events, and loads spread over several agents, whose chains are appended
    under their own locks, so a fleet is not serialised the way one agent is."""
    raw_key = services.agent_key_create(
        agent=services.agent_register(
            actor=admin, slug="ingest-auto", name="auto", owner=admin, risk_tier="low"
        ),
        actor=admin,
    )[1]
    fleet_keys = [
        services.agent_key_create(
            agent=services.agent_register(
                actor=admin, slug=f"ingest-fleet-{n}", name=f"fleet {n}", owner=admin, risk_tier="low"
            ),
            actor=admin,
        )[1]
        for n in range(CLIENTS)
    ]
    singles = [json.dumps(_event(10_000 + n, 0)).encode() for n in range(SINGLES)]
    batches = [
        json.dumps({"events": [_event(20_000 + b, i) for i in range(BATCH)]}).encode() for b in range(BATCHES)
    ]
    rows = []
    with gunicorn_serving("auto"):
        _throughput([(key, json.dumps(_event(9_999, n)).encode()) for n, key in enumerate(fleet_keys * 3)])
        elapsed = _throughput([(raw_key, body) for body in singles])
        rows.append(("single-event POST, auto, one agent", f"{SINGLES / elapsed:,.0f} requests/s"))
        elapsed = _throughput([(fleet_keys[n % CLIENTS], body) for n, body in enumerate(singles)])
        rows.append((f"single-event POST, auto, {CLIENTS} agents", f"{SINGLES / elapsed:,.0f} requests/s"))
        elapsed = _throughput([(fleet_keys[n % CLIENTS], body) for n, body in enumerate(batches)])
        rows.append((f"batch ingest, auto, {CLIENTS} agents", f"{BATCHES * BATCH / elapsed:,.0f} events/s"))
    return rows


def measure() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return [("ingest benchmark", "skipped: needs DATABASE_URL to PostgreSQL")]
    admin = user_create(actor=None, username="bench-ingest", roles=["admin"])
    rows = []
    for method in ("copy", "executemany", "bulk_create"):
        agent = services.agent_register(
            actor=admin, slug=f"ingest-{method}", name=method, owner=admin, risk_tier="low"
        )
        _, raw_key = services.agent_key_create(agent=agent, actor=admin)
        bodies = [
            json.dumps({"events": [_event(b, i) for i in range(BATCH)]}).encode() for b in range(BATCHES)
        ]
        with gunicorn_serving(method):
            _throughput([(raw_key, body) for body in bodies[:2]])  # warm up every worker
            elapsed = _throughput([(raw_key, body) for body in bodies[2:]])
            events = (BATCHES - 2) * BATCH
            rows.append((f"batch ingest, {BATCH}/batch, {method}", f"{events / elapsed:,.0f} events/s"))
        stored = AuditEvent.objects.filter(agent=agent).count()
        rows.append((f"  stored for {method}", f"{stored:,} events"))
    rows += _default_path(admin)
    rows.append(("event size", f"{len(json.dumps(_event(0, 0))):,} bytes of JSON"))
    rows.append(("gunicorn workers / client threads", f"{WORKERS} / {CLIENTS}"))
    return rows

"""OTLP span ingestion and the SDK's sending path, under gunicorn on PostgreSQL.
Run through `make bench`; the gunicorn setup is bench_ingest's."""

import http.client
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from agentgov.client import Client
from apps.accounts.services import user_create
from apps.audit.models import AuditEvent
from apps.registry import services
from tests.audit.otlp_helpers import export, tool_span
from tests.perf.bench_ingest import CLIENTS, gunicorn_serving
from tests.perf.tables import print_table

PORT = 8797  # not bench_ingest's: the two may run at once from different checkouts
SPANS_PER_EXPORT = 500  # a little under the SDK's BatchSpanProcessor default of 512
EXPORTS = 40
SDK_EVENTS = 20_000


def _export_body(n: int) -> bytes:
    trace = os.urandom(16)
    spans = [
        tool_span(
            "search_orders",
            trace_id=trace,
            attributes={"gen_ai.usage.input_tokens": 900, "gen_ai.request.model": "gpt-4.1", "n": n},
        )
        for _ in range(SPANS_PER_EXPORT)
    ]
    return export(*spans).SerializeToString()


def _post_otlp(raw_key: str, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request(
        "POST",
        "/api/v1/otlp/v1/traces",
        body=body,
        headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/x-protobuf"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def _otlp_rows(keys: list[str]) -> list[tuple[str, str]]:
    bodies = [_export_body(n) for n in range(EXPORTS)]
    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda n: _post_otlp(keys[n % len(keys)], bodies[n]), range(EXPORTS)))
    elapsed = time.perf_counter() - start
    if set(statuses) != {200}:
        raise RuntimeError(f"OTLP exports failed: {sorted(set(statuses))}")
    return [
        (
            f"OTLP protobuf, {SPANS_PER_EXPORT} spans/export, {len(keys)} agents",
            f"{EXPORTS * SPANS_PER_EXPORT / elapsed:,.0f} spans/s",
        ),
        ("OTLP export size", f"{len(bodies[0]) / SPANS_PER_EXPORT:,.0f} bytes/span"),
    ]


def _sdk_rows(raw_key: str) -> list[tuple[str, str]]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    client = Client(f"http://127.0.0.1:{PORT}", raw_key, max_queue=SDK_EVENTS, batch_size=1000)
    payload = {"q": "refund timeline", "customer": "c-42", "page": 1}
    start = time.perf_counter()
    for i in range(SDK_EVENTS):
        client.event("tool_call", name="kb.search", input=payload, output={"hits": i % 7}, duration_ms=12.5)
    enqueue = time.perf_counter() - start
    client.flush(timeout=300)
    total = time.perf_counter() - start
    stats = client.stats
    client.close()
    return [
        ("SDK client.event() cost on the caller", f"{enqueue / SDK_EVENTS * 1e6:,.1f} µs/event"),
        ("SDK end to end, one client, 1000/batch", f"{SDK_EVENTS / total:,.0f} events/s"),
        ("SDK sent / dropped / failed", f"{stats.sent:,} / {stats.dropped} / {stats.failed}"),
    ]


def measure() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return [("OTLP and SDK benchmark", "skipped: needs DATABASE_URL to PostgreSQL")]
    admin = user_create(actor=None, username="bench-otlp", roles=["admin"])
    keys = []
    for n in range(CLIENTS):
        agent = services.agent_register(
            actor=admin, slug=f"otlp-fleet-{n}", name=f"otlp {n}", owner=admin, risk_tier="low"
        )
        keys.append(services.agent_key_create(agent=agent, actor=admin)[1])
    with gunicorn_serving("copy", PORT):
        _post_otlp(keys[0], _export_body(-1))  # warm up
        rows = _otlp_rows(keys)
        rows += _sdk_rows(keys[0])
    rows.append(("stored spans and events", f"{AuditEvent.objects.filter(actor_type='agent').count():,}"))
    return rows


def report() -> None:
    rows = measure()
    print_table(f"OTLP ingestion and the SDK under gunicorn on {connection.vendor}", rows)

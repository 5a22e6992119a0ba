"""Benchmark of audit exports: rows per second and peak memory; run through `make bench`.

Target: at least 50,000 rows/s, with memory that stays flat whatever the size.

The events are bulk-inserted with fake chain values (seq is real, prev_hash and hash are not),
because linking 200,000 events properly would take longer than the export being measured.
The chain verification that every export runs therefore stops at the first event here; its
own cost is measured separately on a properly chained sample.
"""

import gc
import os
import shutil
import time
import tracemalloc
from datetime import timedelta

from django.db import connection
from django.test.utils import setup_test_environment
from django.utils import timezone

from apps.accounts.services import user_create
from apps.audit.exports import service
from apps.audit.integrity import chains_verify
from apps.audit.models import ActorType, AuditEvent, EventType
from apps.registry.models import Agent

EVENTS = int(os.environ.get("BENCH_EXPORT_EVENTS", 200_000))
CHAINED = 20_000
INSERT_BATCH = 5000
FAKE_HASH = "f" * 64


def _event(agent: Agent, n: int, start) -> AuditEvent:
    return AuditEvent(
        type=EventType.TOOL_CALL,
        name="stripe.refund",
        status="ok",
        actor_type=ActorType.AGENT,
        actor_agent=agent,
        actor_label=f"agent:{agent.slug}",
        agent=agent,
        occurred_at=start + timedelta(milliseconds=n),
        resource=f"stripe:ch_{n}",
        rationale="duplicate charge on the customer's card",
        trace_id=f"trace-{n // 10}",
        span_id=f"span-{n}",
        input={"amount": n % 500, "currency": "EUR", "customer": f"cus_{n % 9000}"},
        output={"id": f"re_{n}", "status": "succeeded"},
        attributes={"region": "eu-west-1", "attempt": 1},
        duration_ms=120.5,
        cost_usd="0.001200",
        tokens_in=350,
        tokens_out=42,
        seq=n + 1,
        prev_hash=FAKE_HASH,
        hash=FAKE_HASH,
    )


def _seed(admin, slug: str, count: int) -> Agent:
    agent = Agent.objects.create(slug=slug, name=slug, owner=admin, created_by=admin, risk_tier="medium")
    start = timezone.now() - timedelta(days=1)
    for first in range(0, count, INSERT_BATCH):
        AuditEvent.objects.bulk_create(
            [_event(agent, n, start) for n in range(first, min(first + INSERT_BATCH, count))]
        )
    return agent


def _export(admin, slug: str, fmt: str, *, trace_memory: bool) -> tuple[float, int, int]:
    """(seconds, rows, peak traced bytes) for one export through the service, as the job runs it."""
    export = service.export_request(actor=admin, filters={"agent": slug}, format=fmt, enqueue=False)
    gc.collect()
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    done = service.export_run(export_id=export.pk)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
    if trace_memory:
        tracemalloc.stop()
    shutil.rmtree(service.export_dir(done))
    return elapsed, done.rows_written, peak


def run() -> list[tuple[str, str]]:
    admin = user_create(actor=None, username="bench-auditor", roles=["auditor"])
    small, large = _seed(admin, "bench-small", EVENTS // 10), _seed(admin, "bench-large", EVENTS)
    rows: list[tuple[str, str]] = []
    for fmt in ("jsonl", "csv"):
        seconds, count, _ = _export(admin, "bench-large", fmt, trace_memory=False)
        rows.append((f"export {fmt}, {count:,} rows (bundle written)", f"{count / seconds:,.0f} rows/s"))
    for fmt in ("jsonl", "csv"):
        peaks = {}
        for slug in ("bench-small", "bench-large"):
            _, count, peak = _export(admin, slug, fmt, trace_memory=True)
            peaks[count] = peak
        (few, few_peak), (many, many_peak) = sorted(peaks.items())
        rows.append(
            (
                f"export {fmt}, peak Python memory at {few:,} / {many:,} rows",
                f"{few_peak / 2**20:.1f} / {many_peak / 2**20:.1f} MiB",
            )
        )
    rows.append(("chain verification (every export runs it)", _verification_rate(admin)))
    del small, large
    return rows


def _verification_rate(admin) -> str:
    from tests.audit.export_helpers import chained_events

    agent = Agent.objects.create(
        slug="bench-chained", name="chained", owner=admin, created_by=admin, risk_tier="low"
    )
    chained_events(agent, CHAINED)
    started = time.perf_counter()
    report = chains_verify(agent=agent)
    elapsed = time.perf_counter() - started
    assert report.ok, report.first_problem
    return f"{report.events / elapsed:,.0f} events/s"


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        rows = run()
        total = time.perf_counter() - started
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"\nagentgov export benchmark on {connection.vendor} ({EVENTS:,} events seeded, {total:.0f}s in all)\n")
    print(f"| {'measure':<58} | {'result':>22} |")
    print(f"|{'-' * 60}|{'-' * 24}|")
    for name, result in rows:
        print(f"| {name:<58} | {result:>22} |")

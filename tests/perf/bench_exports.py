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
from django.utils import timezone

from apps.accounts.services import user_create
from apps.audit.exports import service
from apps.audit.integrity import chains_verify
from apps.audit.models import ActorType, AuditEvent, EventType, ExportStage
from apps.registry.models import Agent
from tests.perf.tables import print_table

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
    template = INSERT_BATCH if connection.vendor == "postgresql" else count
    for first in range(0, min(template, count), INSERT_BATCH):
        AuditEvent.objects.bulk_create(
            [_event(agent, n, start) for n in range(first, min(first + INSERT_BATCH, count))]
        )
    if count > template:  # PostgreSQL: copy the first batch in SQL, much faster than the ORM
        _copy_rows(agent, template, count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")  # as autovacuum would after a big insert
    return agent


def _copy_rows(agent: Agent, template: int, count: int) -> None:
    columns = [
        f.column
        for f in AuditEvent._meta.concrete_fields
        if f.column not in ("id", "uuid", "occurred_at", "recorded_at", "seq", "resource", "span_id")
    ]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO audit_auditevent (uuid, occurred_at, recorded_at, seq, resource, span_id, {listed})
            SELECT gen_random_uuid(), t.occurred_at + (g.n / %s) * interval '{template} milliseconds',
                   now(), t.seq + g.n, 'stripe:ch_' || (t.seq + g.n), 'span-' || (t.seq + g.n), {listed}
            FROM audit_auditevent t CROSS JOIN generate_series(%s, %s - 1, %s) AS g(n)
            WHERE t.agent_id = %s AND t.seq + g.n <= %s
            """,
            [template, template, count, template, agent.pk, count],
        )


def _export(admin, slug: str, fmt: str, *, trace_memory: bool = False) -> dict:
    """One export through the service, as the job runs it: its seconds in all, the seconds
    spent writing the data file (query, format, compress, hash), rows, peak traced memory."""
    export = service.export_request(actor=admin, filters={"agent": slug}, format=fmt, enqueue=False)
    stages: dict[str, float] = {}

    def progress(running) -> None:
        stages.setdefault(running.stage, time.perf_counter())

    gc.collect()
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    done = service.export_run(export_id=export.pk, on_progress=progress)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
    if trace_memory:
        tracemalloc.stop()
    shutil.rmtree(service.export_dir(done))
    writing = stages[ExportStage.VERIFYING] - stages[ExportStage.WRITING]
    return {"seconds": elapsed, "writing": writing, "rows": done.rows_written, "peak": peak}


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s"


def run() -> list[tuple[str, str]]:
    admin = user_create(actor=None, username="bench-auditor", roles=["auditor"])
    _seed(admin, "bench-small", EVENTS // 10)
    _seed(admin, "bench-large", EVENTS)
    rows: list[tuple[str, str]] = []
    for fmt in ("jsonl", "csv"):
        run = _export(admin, "bench-large", fmt)
        rows.append(
            (
                f"{fmt}: write {run['rows']:,} rows (query, format, zip, hash)",
                _rate(run["rows"], run["writing"]),
            )
        )
        rows.append(
            (f"{fmt}: whole export (count, write, chain check*, sign)", _rate(run["rows"], run["seconds"]))
        )
    for fmt in ("jsonl", "csv"):
        small, large = (
            _export(admin, slug, fmt, trace_memory=True) for slug in ("bench-small", "bench-large")
        )
        rows.append(
            (
                f"{fmt}: peak Python memory, {small['rows']:,} vs {large['rows']:,} rows",
                f"{small['peak'] / 2**20:.1f} vs {large['peak'] / 2**20:.1f} MiB",
            )
        )
    rows.append((f"chain verification alone ({CHAINED:,} chained events)", _verification_rate(admin)))
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


NOTES = """
* The seeded events carry fake chain hashes, so the export's chain check stops at the first
  event; on a real trail, verifying the chains in scope (last line) is most of an export's time.
"""


def report() -> None:
    started = time.perf_counter()
    rows = run()
    total = time.perf_counter() - started
    print_table(f"Audit exports on {connection.vendor} ({EVENTS:,} events seeded, {total:.0f}s in all)", rows)
    print(NOTES)

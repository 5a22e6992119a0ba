"""Chain verification over a large trail: `verify_audit` (all chains) against the target of
1M events in under 15 s. The trail is written through the ingestion service (no HTTP), so
the seeding rate is also the in-process ingestion rate. Run through `make bench`;
BENCH_VERIFY_EVENTS changes the size."""

import io
import os
import time

from django.core.management import call_command
from django.db import connection

from apps.accounts.services import user_create
from apps.audit.ingest import events_ingest
from apps.registry import services
from tests.perf.bench_ingest import _event
from tests.perf.tables import print_table

EVENTS = int(os.environ.get("BENCH_VERIFY_EVENTS", 1_000_000))
AGENTS = 10
BATCH = 1000


def _seed() -> float:
    """Write EVENTS chained events over AGENTS agents; returns the seconds it took."""
    admin = user_create(actor=None, username="bench-verify-admin", roles=["admin"])
    agents = [
        services.agent_register(
            actor=admin, slug=f"bench-verify-{n}", name=f"verify {n}", owner=admin, risk_tier="low"
        )
        for n in range(AGENTS)
    ]
    started = time.perf_counter()
    for batch in range(EVENTS // BATCH):
        agent = agents[batch % AGENTS]
        events_ingest(agent=agent, body={"events": [_event(batch, i) for i in range(BATCH)]})
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")  # as autovacuum would after a big insert
    return elapsed


def report() -> None:
    seeded = _seed()
    jobs = os.cpu_count() or 1
    timings = {}
    for n in sorted({1, jobs}):
        started = time.perf_counter()
        call_command("verify_audit", "--jobs", str(n), stdout=io.StringIO())
        timings[n] = time.perf_counter() - started
    events = EVENTS // BATCH * BATCH
    rows = [(f"ingestion service, batches of {BATCH} (no HTTP)", f"{events / seeded:,.0f} ev/s")]
    for n, verified in timings.items():
        rows.append((f"verify_audit --jobs {n}", f"{verified:.1f} s ({events / verified:,.0f} ev/s)"))
    rows.append(("target", "1M events in < 15 s"))
    print_table(f"Chain verification ({connection.vendor}, {events:,} events over {AGENTS} agents)", rows)

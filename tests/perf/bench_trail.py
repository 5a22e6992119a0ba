"""The audit trail page on a large trail (target: p95 < 50 ms at 10M rows), through the
page itself (Django's test client, no network), on PostgreSQL. `make bench` runs it;
BENCH_TRAIL_EVENTS changes the size (default 10M; seeding takes a few minutes).

The rows are written by SQL (generate_series) with fake chain hashes: the page neither
reads nor checks them, and writing 10M chained events would take far longer."""

import os
import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment
from django.utils import timezone

from agentgov.serving import ready_to_serve
from apps.accounts.services import user_create
from apps.audit.models import AuditEvent
from apps.registry.models import Agent

EVENTS = int(os.environ.get("BENCH_TRAIL_EVENTS", 10_000_000))
AGENTS = 200
DAYS = 30
CHUNK = 1_000_000
REPEAT = 20
NAMES = [
    f"{tool}.{verb}"
    for tool in ("github", "stripe", "jira", "slack", "shell", "s3", "sql", "http")
    for verb in ("read", "write", "list", "delete", "call")
]


def _seed(owner) -> None:
    Agent.objects.bulk_create(
        Agent(slug=f"trail-{n}", name=f"trail {n}", owner=owner, created_by=owner, risk_tier="medium")
        for n in range(AGENTS)
    )
    first_agent = Agent.objects.order_by("pk").values_list("pk", flat=True).first()
    names = "ARRAY[" + ",".join(f"'{name}'" for name in NAMES) + "]"
    span = DAYS * 86400 / EVENTS  # seconds between consecutive events
    start = timezone.now() - timedelta(days=DAYS)
    columns = [f.column for f in AuditEvent._meta.concrete_fields if f.column != "id"]
    values = {
        "uuid": "gen_random_uuid()",
        "occurred_at": f"%(start)s::timestamptz + (g.n * {span}) * interval '1 second'",
        "recorded_at": f"%(start)s::timestamptz + (g.n * {span}) * interval '1 second'",
        "type": "(ARRAY['tool_call','tool_call','tool_call','decision','message','log','action','error'])[1 + g.n %% 8]",
        "name": f"({names})[1 + (g.n / 7) %% {len(NAMES)}]",
        "status": "CASE WHEN g.n %% 97 = 0 THEN 'error' WHEN g.n %% 331 = 0 THEN 'denied' ELSE 'ok' END",
        "actor_type": "'agent'",
        "actor_user_id": "NULL",
        "actor_agent_id": f"{first_agent} + g.n %% {AGENTS}",
        "actor_label": f"'agent:trail-' || (g.n %% {AGENTS})",
        "agent_id": f"{first_agent} + g.n %% {AGENTS}",
        "resource": "'github:acme/repo-' || (g.n %% 5000) || '#' || (g.n %% 300)",
        "rationale": "CASE WHEN g.n %% 8 = 3 THEN 'picked the cheaper option after comparing ' || g.n ELSE '' END",
        "data": "'{}'::jsonb",
        "source_ip": "NULL",
        "seq": f"1 + g.n / {AGENTS}",
        "prev_hash": "repeat('0', 64)",
        "hash": "repeat('f', 64)",
        "client_id": "'e' || g.n",
        "content_hash": "repeat('c', 64)",
        "trace_id": "'t' || (g.n / 12)",
        "span_id": "'s' || g.n",
        "parent_span_id": "''",
        "input": """jsonb_build_object('path', 'src/payments/refunds.py', 'line', g.n %% 400)""",
        "output": """jsonb_build_object('ok', true, 'id', g.n)""",
        "duration_ms": "(g.n %% 900) + 0.5",
        "cost_usd": "(g.n %% 50) / 10000.0",
        "tokens_in": "g.n %% 2000",
        "tokens_out": "g.n %% 300",
        "alternatives": "NULL",
        "chosen": "''",
        "action_id": "''",
        "attributes": """'{"model": "gpt-4.1"}'::jsonb""",
        "redactions": "'[]'::jsonb",
    }
    missing = set(columns) - set(values)
    assert not missing, f"bench_trail does not fill new columns: {missing}"
    listed = ", ".join(columns)
    selected = ", ".join(values[c] for c in columns)
    with connection.cursor() as cursor:
        for first in range(0, EVENTS, CHUNK):
            cursor.execute(
                f"INSERT INTO audit_auditevent ({listed}) SELECT {selected} "
                f"FROM generate_series(%(first)s, %(last)s) AS g(n)",
                {"start": start, "first": first, "last": min(first + CHUNK, EVENTS) - 1},
            )
        cursor.execute("VACUUM ANALYZE audit_auditevent")


def _queries() -> list[tuple[str, str]]:
    recent = (timezone.now() - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    return [
        ("newest, no filter", ""),
        ("one agent", "agent=trail-7"),
        ("type = decision", "type=decision"),
        ("status = error", "status=error"),
        ("status = denied, one agent", "status=denied&agent=trail-3"),
        ("name prefix", "name=stripe.del"),
        ("resource prefix", "resource=github:acme/repo-4242"),
        ("trace id", "trace_id=t777777"),
        ("actor", "actor=agent:trail-9"),
        ("last 24 h", "range=24h"),
        ("since 6 h ago, agent + type", f"since={recent}&agent=trail-11&type=tool_call"),
        ("text search + agent + 24 h", "q=cheaper&agent=trail-5&range=24h"),
    ]


def _timed(client: Client, url: str) -> list[float]:
    client.get(url)  # warm the plan and the cache, as a page in use would be
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def report() -> None:
    if connection.vendor != "postgresql":
        print("\nbench_trail needs PostgreSQL (DATABASE_URL); skipped")
        return
    auditor = user_create(actor=None, username="bench-trail-auditor", roles=["auditor"])
    started = time.perf_counter()
    _seed(auditor)
    seeded = time.perf_counter() - started
    # As a server renders, without the test runner's template instrumentation (it copies
    # every template context and was a third of a page's time).
    teardown_test_environment()
    ready_to_serve()  # as the WSGI entry point prepares a web process
    client = Client(SERVER_NAME="localhost")
    client.force_login(auditor)
    print(
        f"\nAudit trail page at {EVENTS:,} events, {AGENTS} agents ({seeded:.0f} s to seed); ms over {REPEAT} loads"
    )
    print(f"{'filter':<34} {'p50':>8} {'p95':>8}  {'next page p95':>14}  {'API p95':>8}")
    for label, query in _queries():
        first = _timed(client, f"/audit/?{query}")
        api = _timed(client, f"/api/v1/events/?{query}")
        cursor = _next_cursor(query)
        deeper = (
            f"{_p95(_timed(client, f'/audit/?{query}&before={cursor}')):>14.1f}" if cursor else f"{'-':>14}"
        )
        print(
            f"{label:<34} {statistics.median(first):>8.1f} {_p95(first):>8.1f}  {deeper}  {_p95(api):>8.1f}"
        )
    deep = _timed(client, _deep_page_url())
    print(f"{'agent + 7 days, 10,000 rows deep':<34} {statistics.median(deep):>8.1f} {_p95(deep):>8.1f}")
    print("target: p95 < 50 ms")
    setup_test_environment()


def _next_cursor(query: str) -> str | None:
    from django.http import QueryDict

    from apps.audit import selectors
    from apps.audit.pagination import page_before
    from apps.audit.views.trail import PAGE_SIZE, TrailFilter

    filtered = TrailFilter(QueryDict(query), queryset=selectors.event_list())
    return page_before(filtered.qs, None, PAGE_SIZE).next_cursor


def _deep_page_url() -> str:
    """The page that starts 10,000 rows into one agent's last 7 days, as following "Older"
    200 times would reach it (keyset: the cursor is the 10,000th row's time and id)."""
    from apps.audit.pagination import encode_cursor

    since = timezone.now() - timedelta(days=7)
    rows = AuditEvent.objects.filter(agent__slug="trail-7", occurred_at__gte=since).order_by(
        "-occurred_at", "-id"
    )
    depth = min(10_000, rows.count())  # smaller trails (BENCH_TRAIL_EVENTS) have fewer rows
    cursor = encode_cursor(rows.only("occurred_at")[depth - 1])
    return f"/audit/?agent=trail-7&since={since.strftime('%Y-%m-%dT%H:%M')}&before={cursor}"

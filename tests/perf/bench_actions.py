"""POST /api/v1/actions/ latency under gunicorn at a fixed open-loop rate with a 100-rule
policy, and 100 concurrent approve/reject calls on one request. Run through `make bench`."""

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import override_settings

from apps.accounts.services import user_create
from apps.governance import services
from apps.governance.models import ActionRequest, RequestStatus
from apps.registry import services as registry
from tests.perf.bench_ingest import PORT, gunicorn_serving
from tests.perf.tables import print_table

# Requests per second, sent on schedule whatever the answers (open loop): the target, and a
# lower rate that shows the latency when the server is not past its capacity.
RATES = (200, 50)
SECONDS = 10
WARMUP = 200
AGENTS = 10
RULES = 100
RACERS = 100
SEQUENTIAL = 500  # a baseline without queueing: what one request costs on this machine now
BENCH_SECRET_KEY = "bench-" + "k" * 50  # what bench_ingest's gunicorn runs with


def _policy() -> dict:
    """100 rules; the requests below match only near the end, so every rule is tried."""
    rules = []
    for i in range(RULES - 4):
        rules.append(
            {
                "name": f"rule-{i}",
                "agent": ["any", f"tag:team-{i}", f"tier:{('low', 'medium', 'high', 'critical')[i % 4]}"][
                    i % 3
                ],
                "action": f"tool{i}.*",
                "resource": f"svc:{i}/*",
                "when": [
                    {
                        "path": "params.amount",
                        "op": ("gt", "lte", "in", "matches")[i % 4],
                        "value": (1000, 5, [1, 2], r"^x\d+$")[i % 4],
                    }
                ],
                "effect": ("allow", "deny", "require_approval")[i % 3],
            }
        )
    rules += [
        {
            "name": "big-refunds",
            "action": "refund.*",
            "when": [{"path": "params.amount", "op": "gt", "value": 1000}],
            "effect": "require_approval",
            "approvers": 2,
        },
        {"name": "no-drops", "action": "db.drop", "effect": "deny"},
        {
            "name": "refunds",
            "action": "refund.*",
            "when": [{"path": "params.amount", "op": "lte", "value": 1000}],
            "effect": "allow",
        },
        {"name": "deploys", "action": "deploy", "resource": "k8s:staging/*", "effect": "allow"},
    ]
    return {"holds": "escalate", "rules": rules}


def _body(n: int) -> bytes:
    kinds = [
        ("refund.create", f"stripe:ch_{n}", {"amount": 40 + n % 500}),
        ("deploy", "k8s:staging/api", {"image": f"api:{n}"}),
        ("db.drop", "db:prod/x", {}),
        ("refund.create", f"stripe:ch_{n}", {"amount": 5000}),
        ("search.query", "kb:articles", {"q": "refund policy"}),
    ]
    action, resource, params = kinds[n % len(kinds)]
    return json.dumps(
        {
            "action": action,
            "resource": resource,
            "params": params,
            "rationale": "benchmark",
            "trace_id": f"b{n}",
        }
    ).encode()


def _send(method: str, path: str, body: bytes, headers: dict) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def _open_loop(
    keys: list[str], total: int, offset: int, rate: int
) -> tuple[list[float], list[float], list[int]]:
    """Send `total` requests at `rate`/s on schedule; latency from the scheduled send time
    (so queueing behind a slow server counts: no coordinated omission) and service time."""
    start = time.perf_counter() + 0.2
    from_schedule, service, statuses = [], [], []
    lock = threading.Lock()

    def one(i: int) -> None:
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status, took = _send(
            "POST", "/api/v1/actions/", _body(offset + i), {"Authorization": f"Bearer {keys[i % len(keys)]}"}
        )
        with lock:
            statuses.append(status)
            service.append(took)
            from_schedule.append(time.perf_counter() - due)

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(one, range(total)))
    return from_schedule, service, statuses


def _pct(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f} ms"


def _race(admin, agent) -> list[tuple[str, str]]:
    """100 reviewers at once on one pending request, through HTTP with their sessions."""
    request = services.action_request(actor=agent, action="deploy", resource="k8s:prod/api", params={})
    csrf = "a" * 32
    cookies = []
    with override_settings(SECRET_KEY=BENCH_SECRET_KEY):
        for i in range(RACERS):
            user = user_create(actor=None, username=f"bench-racer-{i}", roles=["reviewer"])
            session = SessionStore()
            session["_auth_user_id"] = str(user.pk)
            session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            session["_auth_user_hash"] = user.get_session_auth_hash()
            session.create()
            cookies.append(f"sessionid={session.session_key}; csrftoken={csrf}")
    barrier = threading.Barrier(RACERS)

    def decide(i: int) -> int:
        verb = "approve" if i % 2 else "reject"
        body = json.dumps({"comment": f"racer {i}"}).encode()
        barrier.wait(timeout=60)
        return _send(
            "POST",
            f"/api/v1/approvals/{request.uuid}/{verb}/",
            body,
            {"Cookie": cookies[i], "X-CSRFToken": csrf, "Host": "127.0.0.1"},
        )[0]

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(decide, range(RACERS)))
    request.refresh_from_db()
    ok = statuses.count(200)
    verdict = "exactly one" if ok == 1 and request.status != RequestStatus.PENDING else "FAILED"
    return [
        (f"{RACERS} concurrent approve/reject on one request", f"{ok} transition(s): {verdict}"),
        ("  answers", f"200 x{ok}, 409 x{statuses.count(409)}, other x{RACERS - ok - statuses.count(409)}"),
        ("  final status", request.status),
    ]


def measure() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return [("actions benchmark", "skipped: needs DATABASE_URL to PostgreSQL")]
    admin = user_create(actor=None, username="bench-actions", roles=["admin"])
    services.policy_publish(actor=admin, document=_policy(), comment="benchmark")
    keys, agents = [], []
    for n in range(AGENTS):
        agent = registry.agent_register(
            actor=admin,
            slug=f"actions-{n}",
            name=f"actions {n}",
            owner=admin,
            risk_tier="medium",
            tags=["bench"],
        )
        agent = registry.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
        if n % 2 == 0:  # half the fleet has limits, so limit checks are on the measured path
            services.agent_limits_set(
                agent=agent,
                actor=admin,
                resource_patterns=["stripe:*", "k8s:*", "db:*", "kb:*"],
                rate_limits=[{"action": "refund.*", "max": 100_000, "per": "hour"}],
                daily_budget=Decimal("1000000000"),
                budget_fields=["amount"],
                over_limit="escalate",
            )
        keys.append(registry.agent_key_create(agent=agent, actor=admin)[1])
        agents.append(agent)
    services.hold_create(actor=agents[0], pattern="k8s:prod/*", reason="benchmark hold")
    with gunicorn_serving("auto"):
        _open_loop(keys, WARMUP, 0, RATES[-1])
        rows, offset = [], WARMUP
        for rate in RATES:
            total = rate * SECONDS
            from_schedule, service, statuses = _open_loop(keys, total, offset, rate)
            offset += total
            rows += [
                (f"POST /api/v1/actions/ at {rate}/s for {SECONDS}s", f"{total:,} requests"),
                (
                    "  p50 / p95 / p99 from scheduled send",
                    " / ".join(_pct(from_schedule, q) for q in (0.5, 0.95, 0.99)),
                ),
                ("  p50 / p95 / p99 service time", " / ".join(_pct(service, q) for q in (0.5, 0.95, 0.99))),
                ("  answers", f"201 x{statuses.count(201)}, other x{total - statuses.count(201)}"),
            ]
        rows.append(("  decisions stored", f"{ActionRequest.objects.filter(agent__in=agents).count():,}"))
        sequential = [
            _send("POST", "/api/v1/actions/", _body(n), {"Authorization": f"Bearer {keys[n % AGENTS]}"})[1]
            for n in range(SEQUENTIAL)
        ]
        rows.append(
            (
                f"  one client, {SEQUENTIAL} in sequence: p50/p95/p99",
                " / ".join(_pct(sequential, q) for q in (0.5, 0.95, 0.99)),
            )
        )
        rows += _race(admin, agents[1])
    rows.append(("policy / agents / gunicorn", f"{RULES} rules / {AGENTS} agents / bench_ingest's workers"))
    return rows


def report() -> None:
    rows = measure()
    print_table(f"Action checks through HTTP under gunicorn on {connection.vendor}", rows)

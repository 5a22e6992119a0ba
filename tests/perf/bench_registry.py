"""Benchmarks of the registry's hot paths; run through `make bench`."""

import statistics
import time

from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.services import user_create
from apps.registry import services


def _timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"| {name:<50} | {len(samples):>6} | {statistics.median(samples):>8.2f} | {p95:>8.2f} | {max(samples):>8.2f} |"


def report() -> None:
    rows = run()
    print(f"\nRegistry on {connection.vendor} (milliseconds per operation)\n")
    print(f"| {'operation':<50} | {'n':>6} | {'median':>8} | {'p95':>8} | {'max':>8} |")
    print(f"|{'-' * 52}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for name, samples in rows:
        print(_row(name, samples))


def run() -> list[tuple[str, list[float]]]:
    admin = user_create(actor=None, username="bench-admin", roles=["admin"])
    agents = [
        services.agent_register(
            actor=admin,
            slug=f"bench-{i}",
            name=f"Bench {i}",
            owner=admin,
            risk_tier="medium",
            team=f"team-{i % 7}",
        )
        for i in range(500)
    ]
    agent = services.agent_deploy(agent=agents[0], actor=admin, version="1.0.0", model="m")
    _, raw_key = services.agent_key_create(agent=agent, actor=admin)

    agent_client = APIClient()
    agent_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    staff = APIClient()
    staff.force_authenticate(admin)

    def agent_me():
        assert agent_client.get("/api/v1/agent/me/").status_code == 200

    def staff_list():
        assert staff.get("/api/v1/agents/?team=team-3").status_code == 200

    def pause_resume():
        services.agent_pause(agent=agent, actor=admin, reason="bench")
        services.agent_resume(agent=agent, actor=admin)

    return [
        ("agent key auth + GET /api/v1/agent/me/", _timed(agent_me, 2000)),
        ("staff GET /api/v1/agents/ (500 agents, filtered)", _timed(staff_list, 300)),
        ("pause + resume (2 transitions, 2 audit rows)", _timed(pause_resume, 300)),
    ]

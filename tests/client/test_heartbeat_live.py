"""client.heartbeat() against the real monitoring app (issue 5) on a live server.

Skipped until apps/monitoring routes POST /api/v1/heartbeats/; runs once it is merged.
"""

import pytest
from django.urls import Resolver404, resolve

pytest.importorskip("apps.monitoring.api")


@pytest.fixture(autouse=True)
def _heartbeat_route():
    try:
        resolve("/api/v1/heartbeats/")
    except Resolver404:
        pytest.skip("POST /api/v1/heartbeats/ is not routed yet")


def test_a_heartbeat_is_taken(sdk):
    assert sdk.heartbeat() is True


def test_a_heartbeat_with_status_message_and_metrics_is_taken(sdk, live_agent):
    assert sdk.heartbeat(
        status="ok", message="all queues drained", metrics={"queue_depth": 0, "p95_ms": 120.5}
    )
    live_agent.refresh_from_db()

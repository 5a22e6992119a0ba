"""Staff reads of the trail: GET /api/v1/events/, /events/{uuid}/, /traces/{trace_id}/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.ingest import events_ingest
from apps.audit.models import AuditEvent
from apps.registry import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(live_agent):
    """One agent run: a decision, two tool calls (one failing) under it, then a message."""
    events_ingest(
        agent=live_agent,
        body={
            "events": [
                {
                    "id": "d1",
                    "type": "decision",
                    "trace_id": "t-1",
                    "span_id": "root",
                    "name": "plan",
                    "chosen": "refund",
                    "alternatives": [{"option": "refund"}, {"option": "escalate"}],
                    "rationale": "duplicate charge",
                    "duration_ms": 900,
                },
                {
                    "id": "c1",
                    "type": "tool_call",
                    "trace_id": "t-1",
                    "span_id": "s1",
                    "parent_span_id": "root",
                    "name": "stripe.refund",
                    "resource": "stripe:ch_123",
                    "input": {"amount": 40},
                    "output": {"id": "re_1"},
                    "duration_ms": 300,
                },
                {
                    "id": "c2",
                    "type": "tool_call",
                    "trace_id": "t-1",
                    "span_id": "s2",
                    "parent_span_id": "root",
                    "name": "zendesk.reply",
                    "resource": "zendesk:ticket/9",
                    "status": "error",
                    "duration_ms": 120,
                },
                {"id": "m1", "type": "message", "trace_id": "t-2", "name": "chat", "tokens_in": 10},
            ]
        },
    )
    return live_agent


def test_viewer_lists_the_trail_newest_first(api_as, run):
    body = api_as("viewer").get("/api/v1/events/?agent=payments-bot&type=tool_call").json()
    assert [e["client_id"] for e in body["results"]] == ["c2", "c1"]
    assert body["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=error", {"c2"}),
        ("name=stripe.", {"c1"}),
        ("resource=zendesk:", {"c2"}),
        ("trace_id=t-2", {"m1"}),
        ("actor=agent:payments-bot&type=decision", {"d1"}),
        ("q=duplicate", {"d1"}),
        ("type=message&range=1h", {"m1"}),
    ],
)
def test_filters(api_as, run, query, expected):
    results = api_as("auditor").get(f"/api/v1/events/?{query}").json()["results"]
    assert {e["client_id"] for e in results} == expected


def test_time_range_filters(api_as, run):
    later = (timezone.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert api_as("viewer").get("/api/v1/events/", {"since": later}).json()["results"] == []
    assert (
        len(
            api_as("viewer")
            .get("/api/v1/events/", {"until": later, "agent": "payments-bot"})
            .json()["results"]
        )
        >= 4
    )


def test_cursor_pages_walk_the_whole_trail_without_overlap(api_as, live_agent):
    events_ingest(agent=live_agent, body={"events": [{"id": f"e{i}", "type": "log"} for i in range(25)]})
    client = api_as("viewer")
    seen, url = [], "/api/v1/events/?type=log&page_size=10"
    while url:
        body = client.get(url).json()
        seen += [e["client_id"] for e in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(f"e{i}" for i in range(25))
    assert len(seen) == 25


def test_a_forged_cursor_is_a_404_with_a_hint(api_as, run):
    response = api_as("viewer").get("/api/v1/events/?cursor=nonsense")
    assert response.status_code == 404
    assert "start again without a cursor" in response.json()["error"]


def test_event_detail_shows_everything_and_its_chain_position(api_as, run):
    event = AuditEvent.objects.get(client_id="c1")
    body = api_as("viewer").get(f"/api/v1/events/{event.uuid}/").json()
    assert body["input"] == {"amount": 40}
    assert body["output"] == {"id": "re_1"}
    assert (body["seq"], body["hash"], body["prev_hash"]) == (event.seq, event.hash, event.prev_hash)
    assert api_as("viewer").get("/api/v1/events/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_trace_arranges_spans_parent_first(api_as, run):
    body = api_as("viewer").get("/api/v1/traces/t-1/").json()
    assert body["event_count"] == 3
    assert [(s["span_id"], s["depth"]) for s in body["spans"]] == [("root", 0), ("s1", 1), ("s2", 1)]
    assert body["spans"][2]["has_error"] is True
    assert body["spans"][0]["events"][0]["alternatives"][1] == {"option": "escalate"}
    assert api_as("viewer").get("/api/v1/traces/nope/").status_code == 404


def test_a_trace_id_with_a_slash_can_be_fetched(api_as, live_agent):
    """OpenTelemetry-style ids are hex, but agents choose their own: "run/42" is fine too."""
    events_ingest(agent=live_agent, body={"type": "log", "trace_id": "runs/2026/42", "span_id": "a"})
    body = api_as("viewer").get("/api/v1/traces/runs/2026/42/").json()
    assert body["event_count"] == 1


def test_spans_with_cyclic_parents_still_show(api_as, live_agent):
    events_ingest(
        agent=live_agent,
        body={
            "events": [
                {"type": "log", "trace_id": "loop", "span_id": "a", "parent_span_id": "b"},
                {"type": "log", "trace_id": "loop", "span_id": "b", "parent_span_id": "a"},
            ]
        },
    )
    spans = api_as("viewer").get("/api/v1/traces/loop/").json()["spans"]
    assert {s["span_id"] for s in spans} == {"a", "b"}


def test_reading_the_trail_needs_a_role(api_as, run):
    assert api_as().get("/api/v1/events/").status_code == 403


def test_an_agent_key_cannot_read_the_trail(admin, run):
    from rest_framework.test import APIClient

    _, raw_key = services.agent_key_create(agent=run, actor=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert client.get("/api/v1/events/").status_code == 403

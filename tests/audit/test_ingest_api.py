"""POST /api/v1/events/: what agents report, through HTTP with their key."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.audit.ingest import _stored_hashes
from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent
from apps.registry import services

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's insert path and plans"
)


@pytest.fixture
def agent_key(admin, live_agent):
    return services.agent_key_create(agent=live_agent, actor=admin)[1]


@pytest.fixture
def post(agent_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {agent_key}")

    def send(body, raw: bool = False):
        data = body if raw else json.dumps(body)
        return client.post(URL, data=data, content_type="application/json")

    return send


def decision(**overrides):
    return {
        "id": "evt-1",
        "type": "decision",
        "trace_id": "trace-1",
        "span_id": "span-1",
        "name": "refund.amount",
        "rationale": "customer was double charged",
        "alternatives": [{"option": "refund 40", "score": 0.9}, {"option": "refuse", "reason": "policy"}],
        "chosen": "refund 40",
        "cost_usd": 0.0042,
        "tokens_in": 512,
        "tokens_out": 64,
        **overrides,
    }


def test_one_event_is_accepted_and_stored_with_its_fields(post, live_agent):
    response = post(decision())
    assert response.status_code == 202, response.json()
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    event = AuditEvent.objects.get(client_id="evt-1")
    assert (event.agent, event.actor_agent, event.actor_type) == (live_agent, live_agent, "agent")
    assert event.alternatives[1] == {"option": "refuse", "reason": "policy"}
    assert str(event.cost_usd) == "0.004200"
    assert (event.tokens_in, event.trace_id, event.chosen) == (512, "trace-1", "refund 40")


def test_a_batch_is_stored_in_the_agents_chain(post, live_agent):
    events = [decision(id=f"e{i}", type="tool_call", input={"q": i}, output={"ok": True}) for i in range(50)]
    response = post({"events": events})
    assert response.json() == {"accepted": 50, "duplicates": 0, "rejected": []}
    assert AuditEvent.objects.filter(agent=live_agent, type="tool_call").count() == 50
    assert chains_verify(agent=live_agent).ok


def test_a_resend_with_the_same_content_is_a_duplicate_and_stores_nothing(post):
    post({"events": [decision(id="a"), decision(id="b")]})
    before = AuditEvent.objects.count()
    response = post({"events": [decision(id="a"), decision(id="b"), decision(id="c")]})
    assert response.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    assert AuditEvent.objects.count() == before + 1


def test_the_same_id_with_other_content_is_refused_for_that_item(post):
    post(decision(id="a"))
    response = post({"events": [decision(id="a", chosen="refuse"), decision(id="b")]})
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    assert body["rejected"] == [
        {"index": 0, "field": "id", "message": "id 'a' was already used for different content"}
    ]
    assert AuditEvent.objects.get(client_id="a").chosen == "refund 40"


def test_when_every_event_conflicts_the_answer_is_409(post):
    post(decision(id="a"))
    response = post(decision(id="a", chosen="other"))
    assert response.status_code == 409
    assert response.json()["accepted"] == 0


def test_occurred_at_defaults_to_now_and_a_resend_without_it_is_still_a_duplicate(post):
    post(decision(id="x"))
    assert post(decision(id="x")).json()["duplicates"] == 1
    assert abs(AuditEvent.objects.get(client_id="x").occurred_at - timezone.now()) < timedelta(seconds=30)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"type": "gossip"}, "type", "Input should be"),
        ({"colour": "blue"}, "colour", "unknown field"),
        ({"tokens_in": -1}, "tokens_in", "greater than or equal to 0"),
        ({"tokens_in": "12"}, "tokens_in", "valid integer"),
        ({"duration_ms": True}, "duration_ms", "valid number"),
        ({"id": "x" * 65}, "id", "at most 64 characters"),
        ({"name": "n" * 201}, "name", "at most 200 characters"),
        ({"status": "fine"}, "status", "Input should be"),
        ({"occurred_at": "yesterday"}, "occurred_at", "RFC 3339"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at", "time zone"),
        ({"alternatives": [{"score": 1}]}, "alternatives.0.option", "Field required"),
        ({"input": {"big": "x" * 100_001}}, "input", "longer than 100,000"),
    ],
)
def test_an_invalid_event_refuses_the_whole_batch_naming_index_and_field(post, change, field, message):
    response = post({"events": [decision(id="good"), {**decision(id="bad"), **change}]})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["index"] == 1
    assert errors[0]["field"] == field
    assert message in errors[0]["message"]
    assert "nothing was stored" in response.json()["error"]
    assert not AuditEvent.objects.filter(type="decision").exists()


def test_a_timestamp_more_than_five_minutes_ahead_is_refused(post):
    ahead = (timezone.now() + timedelta(minutes=6)).isoformat()
    response = post(decision(occurred_at=ahead))
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "index": 0,
        "field": "occurred_at",
        "message": "is more than 5 minutes in the future",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"type": "log", "duration_ms": NaN}', "not valid JSON"),
        ('{"type": "log", "duration_ms": Infinity}', "not valid JSON"),
        ('{"type": "log", "input": ' + "[" * 5000 + "]" * 5000 + "}", "not valid JSON"),
        ("not json", "not valid JSON"),
        ("", "empty"),
    ],
)
def test_malformed_json_gets_a_clear_400(post, body, message):
    response = post(body, raw=True)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_json_nested_deeper_than_32_levels_is_refused(post):
    nested = "x"
    for _ in range(40):
        nested = [nested]
    response = post(decision(input=nested))
    assert response.status_code == 400
    assert "nested deeper than 32" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"events": []}, "events"), ({"events": {}}, "events"), ([1, 2], "body"), ({"events": [], "x": 1}, "x")],
)
def test_bad_batch_shapes_are_refused(post, body, field):
    response = post(body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_more_than_1000_events_is_refused(post):
    response = post({"events": [{"type": "log"}] * 1001})
    assert response.status_code == 400
    assert "at most 1,000 events" in response.json()["errors"][0]["message"]


def test_a_body_over_5_mib_gets_413(post):
    huge = {"events": [{"type": "log", "input": "x" * 90_000} for _ in range(60)]}
    response = post(huge)
    assert response.status_code == 413
    assert "over 5 MiB" in response.json()["error"]
    assert not AuditEvent.objects.filter(type="log").exists()


def test_secrets_are_redacted_before_storage_and_the_event_says_so(post):
    response = post(
        decision(
            type="tool_call",
            input={
                "headers": {"Authorization": "Bearer sk-live-abcdefghijkl"},
                "db_password": "hunter2",
                "max_tokens": 5,
            },
            output={"log": "key AKIAABCDEFGHIJKLMNOP used; card 4111 1111 1111 1111 charged"},
        )
    )
    assert response.status_code == 202
    event = AuditEvent.objects.get(client_id="evt-1")
    assert event.input == {
        "headers": {"Authorization": "[REDACTED:authorization]"},
        "db_password": "[REDACTED:password]",
        "max_tokens": 5,
    }
    assert event.output["log"] == "key [REDACTED:aws_access_key] used; card [REDACTED:card_number] charged"
    assert {"path": "input.db_password", "kind": "password"} in event.redactions
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    for secret in ["hunter2", "sk-live-abcdefghijkl", "AKIAABCDEFGHIJKLMNOP", "4111 1111 1111 1111"]:
        assert secret not in stored


def test_the_redaction_keys_are_configurable(post, settings):
    settings.AUDIT_REDACT_KEYS = ["customer_email"]
    post(decision(input={"customer_email": "a@b.c", "password": "kept"}))
    event = AuditEvent.objects.get(client_id="evt-1")
    assert event.input == {"customer_email": "[REDACTED:customer_email]", "password": "kept"}


@pytest.mark.parametrize("action", ["pause", "quarantine"])
def test_paused_and_quarantined_agents_are_still_recorded(post, admin, live_agent, action):
    getattr(services, f"agent_{action}")(agent=live_agent, actor=admin, reason="incident")
    assert post(decision()).status_code == 202


def test_a_retired_agent_is_refused(post, admin, live_agent):
    services.agent_retire(agent=live_agent, actor=admin, reason="eol")
    response = post(decision())
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.filter(type="decision").exists()


def test_a_staff_session_cannot_post_events(api_as):
    response = api_as("admin").post(URL, decision(), format="json")
    assert response.status_code in (401, 403)


@ON_POSTGRESQL
def test_an_event_post_costs_a_fixed_handful_of_queries(post, settings, django_assert_max_num_queries):
    """The key with its agent, the transaction (2 in a test: a savepoint pair), the chain
    head's lock, the duplicate check, the insert (COPY) and the head: 7 whatever the batch
    size (SQLite splits the insert by its parameter limit)."""
    settings.AGENT_KEY_LAST_USED_RESOLUTION_SECONDS = 3600
    assert post(decision(id="warm")).status_code == 202  # writes the key's last use
    with django_assert_max_num_queries(7):
        assert post({"events": [decision(id=f"e{i}") for i in range(150)]}).status_code == 202


@ON_POSTGRESQL
@pytest.mark.parametrize("size, statement", [(1, "INSERT INTO"), (7, "INSERT INTO"), (8, "COPY ")])
def test_small_batches_use_a_prepared_insert_and_larger_ones_copy(post, live_agent, size, statement):
    """COPY needs a round trip of its own and is never prepared: single events, most
    requests, go faster as an INSERT. Either way the chain verifies."""
    with CaptureQueriesContext(connection) as captured:
        response = post({"events": [decision(id=f"e{i}") for i in range(size)]})
    assert response.json()["accepted"] == size
    writes = [q["sql"] for q in captured.captured_queries if '"audit_auditevent" (' in q["sql"]]
    assert len(writes) == 1 and statement in writes[0], writes
    assert chains_verify(agent=live_agent).ok


@ON_POSTGRESQL
def test_the_duplicate_check_reads_only_the_ids_it_is_given_whatever_the_plan(post, live_agent):
    """The check runs as a prepared statement; PostgreSQL may plan it once for any ids (a
    generic plan). It must still look each id up in the unique index, never read the
    agent's whole history (it did, at 85 ms a batch of 500 over 20,000 events)."""
    for batch in range(4):
        post({"events": [decision(id=f"b{batch}-{i}") for i in range(500)]})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")

        def rows_read() -> int:
            cursor.execute(
                "SELECT idx_tup_fetch + seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = %s",
                [AuditEvent._meta.db_table],
            )
            return cursor.fetchone()[0]

        before = rows_read()
        for _ in range(7):  # prepared from the 5th run on
            found = _stored_hashes(live_agent.pk, ["b0-1", "b3-7", "never-sent"])
        read = rows_read() - before
    assert found.keys() == {"b0-1", "b3-7"}
    assert read <= 7 * 2, f"{read} rows read for 14 matches"

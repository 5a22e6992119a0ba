"""Tamper evidence: the hash chains catch altered, removed and truncated events."""

from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.audit.chain import GENESIS_HASH, event_hash
from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent, ChainHead, IntegrityCheck
from apps.audit.services import SYSTEM, record
from apps.registry import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(admin, live_agent):
    """A few events in the agent's chain and in the global chain."""
    services.agent_pause(agent=live_agent, actor=admin, reason="maintenance")
    services.agent_resume(agent=live_agent, actor=admin)
    record(actor=SYSTEM, type="access", name="user.login")
    return live_agent


def _raw(sql: str, params=()):
    """Change rows behind the ORM's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser can switch the append-only trigger off
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_events_are_chained_per_agent(history):
    events = list(AuditEvent.objects.filter(agent=history).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in pairwise(events):
        assert after.prev_hash == before.hash
    assert all(event_hash(e) == e.hash for e in events)
    head = ChainHead.objects.get(key=f"agent:{history.pk}")
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_an_intact_trail_verifies_and_the_run_is_kept(history):
    report = chains_verify()
    assert report.ok
    assert report.events == AuditEvent.objects.count()
    check = IntegrityCheck.objects.latest()
    assert check.ok and check.events_checked == report.events and check.finished_at


def test_an_altered_row_is_named(history):
    victim = AuditEvent.objects.get(agent=history, name="agent.paused")
    _raw("UPDATE audit_auditevent SET rationale = %s WHERE id = %s", ["nothing happened", victim.pk])
    with pytest.raises(
        CommandError, match=rf"event #{victim.seq} \({victim.uuid}, agent.paused\): its content was altered"
    ):
        call_command("verify_audit")
    assert IntegrityCheck.objects.latest().ok is False


def test_a_removed_row_is_named(history):
    victim = AuditEvent.objects.get(agent=history, name="agent.paused")
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=rf"event #{victim.seq} is missing"):
        call_command("verify_audit", "--agent", history.slug)


def test_a_cut_off_tail_is_detected(history):
    last = AuditEvent.objects.filter(agent=history).order_by("-seq").first()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [last.pk])
    report = chains_verify(agent=history)
    assert not report.ok
    assert "events were removed from the end" in report.first_problem


def test_verify_audit_prints_what_it_checked(history, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "audit trail intact" in out
    assert f"checked 2 chains, {AuditEvent.objects.count()} events" in out


def test_verify_audit_refuses_an_unknown_agent(db):
    with pytest.raises(CommandError, match="no agent with slug 'ghost'"):
        call_command("verify_audit", "--agent", "ghost")


def test_the_fast_and_the_portable_row_readers_hash_alike(live_agent):
    """PostgreSQL walks raw rows; SQLite (the embedded default) walks Django's values()."""
    from apps.audit.chain import row_hash
    from apps.audit.ingest import events_ingest
    from apps.audit.integrity import _chain_rows

    events_ingest(
        agent=live_agent,
        body={
            "events": [
                {
                    "id": "a",
                    "type": "tool_call",
                    "name": "x",
                    "input": {"b": 1, "a": [1.5, "é"]},
                    "cost_usd": 0.25,
                },
                {"id": "b", "type": "log", "name": "big", "attributes": {"n": 2**70}},
            ]
        },
    )
    portable = list(_chain_rows(live_agent.pk, 0, raw=False))
    assert [row_hash(row) for row in portable] == [row["hash"] for row in portable]
    assert chains_verify(agent=live_agent).ok  # orjson reads 2**70 as a float: a second look saves it


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel walks need a server database")
def test_chains_walked_in_parallel_processes_name_the_same_broken_event(admin, live_agent):
    other = services.agent_register(actor=admin, slug="other-bot", name="Other", owner=admin, risk_tier="low")
    other = services.agent_deploy(agent=other, actor=admin, version="1.0.0", model="gpt-4.1")
    services.agent_pause(agent=other, actor=admin, reason="maintenance")
    victim = AuditEvent.objects.get(agent=other, name="agent.paused")
    _raw("UPDATE audit_auditevent SET rationale = %s WHERE id = %s", ["nothing happened", victim.pk])

    with pytest.raises(
        CommandError, match=rf"event #{victim.seq} \({victim.uuid}, agent.paused\): its content"
    ):
        call_command("verify_audit", "--jobs", "2")
    check = IntegrityCheck.objects.latest()
    assert check.chains_checked >= 2 and not check.ok


def test_verify_audit_refuses_a_job_count_under_one():
    with pytest.raises(CommandError, match="--jobs must be at least 1"):
        call_command("verify_audit", "--jobs", "0")

"""Signed checkpoints catch a cut-off tail even when the head row is forged; retention
removes old events only through its own door and leaves the chains verifiable."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit.checkpoints import checkpoints_write_due
from apps.audit.ingest import events_ingest
from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent, ChainCheckpoint, ChainHead
from apps.audit.retention import retention_purge
from apps.audit.tasks import purge_expired_events, write_checkpoints

pytestmark = pytest.mark.django_db


def _log(agent, count: int, start: int = 0, days_ago: float = 0):
    when = (timezone.now() - timedelta(days=days_ago)).isoformat()
    events_ingest(
        agent=agent,
        body={"events": [{"id": f"e{start + i}", "type": "log", "occurred_at": when} for i in range(count)]},
    )


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_checkpoints_sign_each_moved_head_once(live_agent):
    _log(live_agent, 3)
    assert write_checkpoints() == 1  # the agent's chain; nothing else was recorded
    assert write_checkpoints() == 0
    _log(live_agent, 1, start=3)
    assert checkpoints_write_due() == 1
    head = ChainHead.objects.get(key=f"agent:{live_agent.pk}")
    assert ChainCheckpoint.objects.filter(key=head.key).latest("seq").seq == head.seq


def test_a_cut_tail_with_a_forged_head_is_caught_by_the_signed_checkpoint(live_agent):
    _log(live_agent, 5)
    checkpoints_write_due()
    key = f"agent:{live_agent.pk}"
    last = AuditEvent.objects.filter(agent=live_agent).order_by("-seq")[:2]
    keep = AuditEvent.objects.filter(agent=live_agent).order_by("-seq")[2]
    _raw("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [last[0].pk, last[1].pk])
    ChainHead.objects.filter(key=key).update(seq=keep.seq, hash=keep.hash)  # the forger's cover-up
    report = chains_verify(agent=live_agent)
    assert not report.ok
    assert "a checkpoint signed at" in report.first_problem
    assert f"saw #{keep.seq + 2}" in report.first_problem


def test_a_forged_checkpoint_signature_is_caught(live_agent, settings):
    _log(live_agent, 2)
    checkpoints_write_due()
    settings.AUDIT_SIGNING_KEY = "a-different-key"
    assert "invalid signature" in chains_verify(agent=live_agent).first_problem


@pytest.fixture
def quiet_agent(agent_factory):
    """An agent with nothing in its chain yet, so tests control every event's age."""
    return agent_factory(slug="quiet", status="active")


def test_retention_removes_only_old_events_and_the_chain_still_verifies(quiet_agent, settings):
    live_agent = quiet_agent
    settings.AUDIT_RETENTION_DAYS = 200
    _log(live_agent, 4, days_ago=400)
    _log(live_agent, 3, start=4, days_ago=1)
    deleted = purge_expired_events()
    assert deleted == 4
    assert set(
        AuditEvent.objects.filter(agent=live_agent, type="log").values_list("client_id", flat=True)
    ) == {"e4", "e5", "e6"}
    report = chains_verify()
    assert report.ok, report.first_problem
    purge = AuditEvent.objects.get(name="audit.retention_purged")
    assert purge.data["deleted"] == deleted
    assert retention_purge() == 0, "a second run finds nothing more"


def test_retention_keeps_old_events_reported_after_newer_ones(quiet_agent, settings):
    # Only the start of a chain can go without breaking it; a late report waits its turn.
    live_agent = quiet_agent
    settings.AUDIT_RETENTION_DAYS = 200
    _log(live_agent, 1, start=0, days_ago=1)
    _log(live_agent, 1, start=1, days_ago=400)  # reported late: old, but after a new one
    retention_purge()
    assert AuditEvent.objects.filter(agent=live_agent, type="log").count() == 2
    assert chains_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_outside_the_retention_job_the_trigger_still_refuses_deletes(live_agent):
    _log(live_agent, 1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")

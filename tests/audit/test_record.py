"""The audit trail: one record() for every actor, append-only in the ORM and in PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import SYSTEM, record

pytestmark = pytest.mark.django_db


def test_record_names_a_person_an_agent_or_the_system(admin, live_agent):
    by_person = record(actor=admin, type="change", name="policy.saved", rationale="tighten")
    by_agent = record(actor=live_agent, type="tool_call", name="github.comment", agent=live_agent)
    by_system = record(actor=SYSTEM, type="change", name="key.expired")
    assert (by_person.actor_type, by_person.actor_label) == ("user", admin.username)
    assert (by_agent.actor_type, by_agent.actor_label) == ("agent", "agent:payments-bot")
    assert (by_system.actor_type, by_system.actor_label) == ("system", "agentgov")


def test_record_refuses_an_unknown_type(admin):
    with pytest.raises(Exception, match="type"):
        record(actor=admin, type="gossip", name="x")
    assert not AuditEvent.objects.filter(name="x").exists()


def test_record_refuses_an_actor_that_is_not_a_user_agent_or_system():
    with pytest.raises(TypeError, match="an audit actor is"):
        record(actor="somebody", type="change", name="x")


def test_the_orm_refuses_to_change_or_delete_events(admin):
    event = record(actor=admin, type="change", name="x")
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(name="y")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "sql", ["UPDATE audit_auditevent SET name = 'forged'", "DELETE FROM audit_auditevent"]
)
def test_postgresql_refuses_raw_update_and_delete(admin, sql):
    record(actor=admin, type="change", name="original")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.get().name == "original"


def test_a_failed_change_leaves_no_audit_row(admin, live_agent):
    from apps.registry import services

    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the point is the rollback
        services.agent_deploy(agent=live_agent, actor=admin, version="bad label", model="m")
    assert AuditEvent.objects.count() == before

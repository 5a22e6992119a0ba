"""The audit trail page: newest first, filters, keyset pages, and a read-only admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent, EventType
from apps.audit.pagination import decode_cursor, encode_cursor
from apps.audit.services import SYSTEM, record


@pytest.fixture
def viewer_client(client, make_user):
    client.force_login(make_user("viewer"))
    return client


def log_events(count: int, **fields) -> list[AuditEvent]:
    start = timezone.now() - timedelta(hours=1)
    return [
        record(
            actor=SYSTEM,
            type=EventType.LOG,
            name=f"test.{n}",
            occurred_at=start + timedelta(seconds=n),
            **fields,
        )
        for n in range(count)
    ]


def names(response) -> list[str]:
    return [event.name for event in response.context["page"].events]


def test_the_trail_lists_events_newest_first(viewer_client):
    log_events(3)
    response = viewer_client.get(reverse("audit:trail"))
    assert response.status_code == 200
    assert names(response) == ["test.2", "test.1", "test.0"]


def test_the_trail_has_an_empty_state(viewer_client):
    assert b"The trail is empty" in viewer_client.get(reverse("audit:trail")).content


def test_the_trail_filters_by_agent_and_type(viewer_client, live_agent):
    log_events(2)
    by_agent = viewer_client.get(reverse("audit:trail"), {"agent": "payments-bot"})
    by_type = viewer_client.get(reverse("audit:trail"), {"type": "log"})

    assert set(names(by_agent)) == {"agent.registered", "agent.version_created", "agent.deployed"}
    assert names(by_type) == ["test.1", "test.0"]
    assert b"No events match" in viewer_client.get(reverse("audit:trail"), {"agent": "x"}).content


def test_the_trail_pages_by_cursor_without_gaps_or_repeats(viewer_client):
    events = log_events(120)
    seen, cursor = [], None
    for _ in range(3):
        response = viewer_client.get(reverse("audit:trail"), {"before": cursor} if cursor else {})
        seen += names(response)
        cursor = response.context["page"].next_cursor
    assert seen == [e.name for e in reversed(events)]
    assert cursor is None


def test_events_at_the_same_instant_are_split_by_id(viewer_client):
    moment = timezone.now()
    same = [record(actor=SYSTEM, type=EventType.LOG, name=f"same.{n}", occurred_at=moment) for n in range(3)]
    cursor = encode_cursor(same[2])
    response = viewer_client.get(reverse("audit:trail"), {"before": cursor})
    assert names(response) == ["same.1", "same.0"]


def test_the_trail_never_counts_rows(viewer_client, django_assert_num_queries):
    log_events(60)
    # session, user, roles, last integrity check, agent slugs for the filter, one page
    with django_assert_num_queries(6) as captured:
        viewer_client.get(reverse("audit:trail"))
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_an_htmx_refresh_reads_only_the_page(viewer_client, django_assert_num_queries):
    log_events(60)
    with django_assert_num_queries(4) as captured:  # session, user, roles, one page
        viewer_client.get(reverse("audit:trail"), {"type": "log"}, HTTP_HX_REQUEST="true")
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_a_broken_cursor_shows_the_newest_page_and_says_so(viewer_client):
    log_events(2)
    response = viewer_client.get(reverse("audit:trail"), {"before": "garbage"})
    assert response.status_code == 200
    assert names(response) == ["test.1", "test.0"]
    assert b"This page link is broken" in response.content


def test_cursors_round_trip_exactly():
    event = AuditEvent(pk=42, occurred_at=timezone.now())
    assert decode_cursor(encode_cursor(event)) == (event.occurred_at, 42)
    for bad in ("", "1-", "-1", "x-1", "9999999999999999999-1"):
        with pytest.raises(ValueError):
            decode_cursor(bad)

"""Audit pages through the Django test client: trail filters and integrity, one event with
its redactions and chain position, a trace's waterfall, and an agent's recent activity."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.ingest import events_ingest
from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent, EventType, IntegrityCheck
from apps.audit.services import SYSTEM, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as(client, make_user):
    def login(*roles):
        client.force_login(make_user(*roles))
        return client

    return login


@pytest.fixture
def viewer(client_as):
    return client_as("viewer")


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def run(live_agent):
    """One agent run, sent children first: a decision, two tool calls under it (the second
    fails, its input carries a password), then a message in another trace."""
    start = timezone.now() - timedelta(minutes=5)
    events_ingest(
        agent=live_agent,
        body={
            "events": [
                {
                    "id": "c2",
                    "type": "tool_call",
                    "occurred_at": iso(start + timedelta(milliseconds=500)),
                    "trace_id": "t-1",
                    "span_id": "s2",
                    "parent_span_id": "root",
                    "name": "zendesk.reply",
                    "resource": "zendesk:ticket/9",
                    "status": "error",
                    "input": {"ticket": 9, "password": "hunter2", "body": "<script>alert(1)</script>"},
                    "output": {"error": "ticket is closed"},
                    "duration_ms": 120,
                },
                {
                    "id": "c1",
                    "type": "tool_call",
                    "occurred_at": iso(start + timedelta(milliseconds=100)),
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
                    "id": "d1",
                    "type": "decision",
                    "occurred_at": iso(start),
                    "trace_id": "t-1",
                    "span_id": "root",
                    "name": "plan",
                    "rationale": "The customer was charged twice for one order.",
                    "alternatives": [
                        {"option": "refund", "score": 0.9, "reason": "duplicate charge"},
                        {"option": "escalate", "score": 0.2, "reason": "amount is small"},
                    ],
                    "chosen": "refund",
                    "duration_ms": 900,
                },
                {"id": "m1", "type": "message", "trace_id": "t-2", "name": "chat", "tokens_in": 10},
            ]
        },
    )
    return live_agent


def event_named(name: str) -> AuditEvent:
    return AuditEvent.objects.get(name=name)


def shown(response) -> list[str]:
    return [event.name for event in response.context["page"].events]


# ---- Access ------------------------------------------------------------------------------


def page_urls() -> list[str]:
    return [
        reverse("audit:trail"),
        reverse("audit:event_detail", args=[event_named("plan").uuid]),
        reverse("audit:trace_detail", args=["t-1"]),
    ]


def test_a_viewer_can_read_every_audit_page(run, viewer):
    for url in page_urls():
        assert viewer.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(run, client):
    for url in page_urls():
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_a_user_without_a_role_is_refused(run, client_as):
    no_role = client_as()
    for url in page_urls():
        assert no_role.get(url).status_code == 403, url


# ---- Trail ------------------------------------------------------------------------------


def test_each_row_links_to_its_event_and_its_trace(run, viewer):
    page = viewer.get(reverse("audit:trail"), {"agent": "payments-bot"}).content.decode()
    plan = event_named("plan")
    assert reverse("audit:event_detail", args=[plan.uuid]) in page
    assert reverse("audit:trace_detail", args=["t-1"]) in page
    assert "zendesk:ticket/9" in page
    assert "agent:payments-bot" in page  # the actor


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "error"}, {"zendesk.reply"}),
        ({"type": ["decision", "message"]}, {"plan", "chat"}),
        ({"name": "stripe."}, {"stripe.refund"}),
        ({"resource": "zendesk:"}, {"zendesk.reply"}),
        ({"trace_id": "t-2"}, {"chat"}),
        ({"q": "charged twice"}, {"plan"}),
        ({"actor": "agent:payments-bot", "type": "tool_call"}, {"stripe.refund", "zendesk.reply"}),
        (
            {"agent": "payments-bot", "actor_type": "agent", "range": "1h"},
            {"plan", "stripe.refund", "zendesk.reply", "chat"},
        ),
    ],
)
def test_the_trail_filters_like_the_api(run, viewer, query, expected):
    response = viewer.get(reverse("audit:trail"), query)
    assert response.status_code == 200
    assert set(shown(response)) == expected


def test_the_time_range_filters_by_when_it_happened(run, viewer):
    record(actor=SYSTEM, type=EventType.LOG, name="old", occurred_at=timezone.now() - timedelta(days=3))
    url = reverse("audit:trail")
    assert "old" not in shown(viewer.get(url, {"range": "24h"}))
    assert "old" in shown(viewer.get(url, {"range": "7d"}))
    two_days_ago = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    assert shown(viewer.get(url, {"until": two_days_ago})) == ["old"]
    assert "old" not in shown(viewer.get(url, {"since": two_days_ago}))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"type": "nope"}, "Select a valid choice. nope is not one of the available choices."),
        ({"since": "yesterday"}, "Enter a valid date/time."),
        ({"range": "2y"}, "Select a valid choice. 2y is not one of the available choices."),
    ],
)
def test_a_bad_filter_is_a_form_error_and_shows_no_rows(run, viewer, query, message):
    response = viewer.get(reverse("audit:trail"), query)
    assert response.status_code == 200
    assert response.context["page"] is None
    page = response.content.decode()
    assert "No events shown: fix the filters first" in page
    assert page.count(message) == 2  # next to the field and in the summary
    assert "<tbody>" not in page


def test_an_htmx_refresh_returns_the_results_and_refreshes_the_error_slots(run, viewer):
    response = viewer.get(reverse("audit:trail"), {"since": "soon"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="trail-results"' in page
    assert re.search(r'id="id_since_error" hx-swap-oob="true"><p class="field-error">', page)
    assert re.search(r'id="id_agent_error" hx-swap-oob="true"></div>', page)  # cleared


def test_the_trail_keeps_the_filters_on_the_older_page_link(viewer, live_agent):
    for n in range(55):
        record(actor=SYSTEM, type=EventType.LOG, name=f"log.{n}")
    response = viewer.get(reverse("audit:trail"), {"type": "log"})
    cursor = response.context["page"].next_cursor
    assert f"?type=log&amp;before={cursor}" in response.content.decode()


def test_the_trail_says_when_the_chains_were_never_verified(viewer):
    page = viewer.get(reverse("audit:trail")).content.decode()
    assert "Never verified" in page
    assert "python manage.py verify_audit" in page


def test_the_trail_shows_the_last_verification(run, viewer):
    chains_verify()
    page = viewer.get(reverse("audit:trail")).content.decode()
    assert "Intact" in page
    assert "All chains: 7 events in 1 chain checked" in page


def test_the_trail_shows_a_broken_chain_and_where(viewer):
    IntegrityCheck.objects.create(
        scope="all chains",
        finished_at=timezone.now(),
        chains_checked=1,
        events_checked=3,
        ok=False,
        problem="agent:1 event #2: its content was altered (hash mismatch)",
    )
    page = viewer.get(reverse("audit:trail")).content.decode()
    assert "Broken" in page
    assert "agent:1 event #2: its content was altered (hash mismatch)" in page


def test_the_trail_leaves_a_place_for_actions(viewer):
    assert 'class="actions trail-actions"' in viewer.get(reverse("audit:trail")).content.decode()


# ---- Event detail --------------------------------------------------------------------


def test_an_event_shows_every_field_pretty_and_escaped(run, viewer):
    event = event_named("zendesk.reply")
    page = viewer.get(reverse("audit:event_detail", args=[event.uuid])).content.decode()
    assert str(event.uuid) in page
    assert "zendesk:ticket/9" in page and "120 ms" in page
    assert "\n  &quot;ticket&quot;: 9,\n" in page  # indented JSON
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert reverse("audit:trace_detail", args=["t-1"]) in page
    assert reverse("registry:agent_detail", args=["payments-bot"]) in page


def test_an_event_marks_what_was_redacted(run, viewer):
    event = event_named("zendesk.reply")
    page = viewer.get(reverse("audit:event_detail", args=[event.uuid])).content.decode()
    assert "Redacted before storage" in page
    assert "<code>input.password</code> — password" in page
    assert '<mark class="redacted">[REDACTED:password]</mark>' in page
    assert "hunter2" not in page


def test_an_event_shows_its_chain_position_and_neighbours(run, viewer):
    event = event_named("stripe.refund")
    before = AuditEvent.objects.get(agent=event.agent, seq=event.seq - 1)
    after = AuditEvent.objects.get(agent=event.agent, seq=event.seq + 1)
    page = viewer.get(reverse("audit:event_detail", args=[event.uuid])).content.decode()
    assert "agent payments-bot" in page
    assert f"#{event.seq}" in page
    for digest in (event.hash, event.prev_hash, event.content_hash):
        assert digest in page
    assert reverse("audit:event_detail", args=[before.uuid]) in page
    assert reverse("audit:event_detail", args=[after.uuid]) in page


def test_an_event_of_the_global_chain_says_so(viewer):
    event = record(actor=SYSTEM, type=EventType.LOG, name="system.tick")
    page = viewer.get(reverse("audit:event_detail", args=[event.uuid])).content.decode()
    assert "<dt>Chain</dt><dd>global</dd>" in page
    assert "First in its chain" in page and "Latest in its chain" in page


def test_a_decision_shows_its_alternatives_and_the_chosen_one(run, viewer):
    event = event_named("plan")
    page = viewer.get(reverse("audit:event_detail", args=[event.uuid])).content.decode()
    assert "The customer was charged twice for one order." in page
    assert re.search(
        r'alternative--chosen">\s*<span class="badge badge--chosen">✓ Chosen</span>\s*<strong>refund', page
    )
    assert "score 0.2" in page and "amount is small" in page


def test_an_unknown_event_is_404(viewer):
    assert viewer.get(reverse("audit:event_detail", args=[uuid.uuid4()])).status_code == 404


# ---- Trace ------------------------------------------------------------------------------


def test_a_trace_lists_spans_parent_first_in_time_order(run, viewer):
    response = viewer.get(reverse("audit:trace_detail", args=["t-1"]))
    rows = response.context["waterfall"].rows
    assert [row.label for row in rows] == ["plan", "stripe.refund", "zendesk.reply"]
    assert [row.span.depth for row in rows] == [0, 1, 1]
    page = response.content.decode()
    rows_html = page[page.index('class="wf-rows"') :]
    assert rows_html.index(">plan<") < rows_html.index(">stripe.refund<") < rows_html.index(">zendesk.reply<")


def test_a_trace_places_bars_by_start_and_duration(run, viewer):
    rows = viewer.get(reverse("audit:trace_detail", args=["t-1"])).context["waterfall"].rows
    # The trace lasts 900 ms (the root); stripe starts at 100 ms and takes 300 ms.
    assert (rows[0].left, rows[0].width) == ("0.000%", "100.000%")
    assert (rows[1].left, rows[1].width) == ("11.111%", "33.333%")
    assert rows[1].duration == "300 ms" and rows[1].offset == "100 ms"


def test_a_trace_marks_errors_in_words(run, viewer):
    response = viewer.get(reverse("audit:trace_detail", args=["t-1"]))
    page = response.content.decode()
    assert [row.label for row in response.context["errors"]] == ["zendesk.reply"]
    assert "1 error" in page
    error_row = re.search(r'<li class="wf-row wf-row--error".*?</li>', page, re.S).group(0)
    assert "zendesk.reply" in error_row
    assert '<span class="badge badge--event-error">error</span>' in error_row
    assert '<details class="payload" open>' in error_row  # the failing call's output is shown


def test_a_trace_shows_the_decision_and_tool_calls_input_and_output(run, viewer):
    page = viewer.get(reverse("audit:trace_detail", args=["t-1"])).content.decode()
    assert "The customer was charged twice for one order." in page
    assert "✓ Chosen" in page
    assert "Input → output" in page
    assert "&quot;amount&quot;: 40" in page


def test_an_unknown_trace_is_404(viewer):
    assert viewer.get(reverse("audit:trace_detail", args=["no-such-trace"])).status_code == 404


def test_a_trace_id_with_a_slash_still_has_a_page(live_agent, viewer):
    events_ingest(agent=live_agent, body={"type": "log", "trace_id": "run/42", "name": "started"})
    url = reverse("audit:trace_detail", args=["run/42"])
    assert viewer.get(url).status_code == 200


# ---- Agent detail: recent activity ---------------------------------------------------


def test_an_agents_page_shows_its_recent_activity(run, viewer):
    page = viewer.get(reverse("registry:agent_detail", args=["payments-bot"])).content.decode()
    activity = page[page.index('id="activity-title"') : page.index('id="history-title"')]
    for name in ("zendesk.reply", "stripe.refund", "plan", "chat", "agent.deployed"):
        assert name in activity
    assert reverse("audit:event_detail", args=[event_named("plan").uuid]) in activity
    assert f"{reverse('audit:trail')}?agent=payments-bot" in activity
    assert "See all in the audit trail" in activity


def test_recent_activity_shows_only_the_latest_events(live_agent, viewer):
    events_ingest(agent=live_agent, body={"events": [{"type": "log", "name": f"log.{n}"} for n in range(20)]})
    response = viewer.get(reverse("registry:agent_detail", args=["payments-bot"]))
    assert len(response.context["activity"]) == 15


def test_type_and_status_filters_keep_the_newest_first_index_usable():
    """DISTINCT (django-filter's default for multiple choices) sorted every matching row
    of a large trail before the first page could be cut."""
    from django.http import QueryDict

    from apps.audit import selectors
    from apps.audit.views.trail import TrailFilter

    filtered = TrailFilter(
        QueryDict("type=decision&type=error&status=error"), queryset=selectors.event_list()
    )
    assert "DISTINCT" not in str(filtered.qs.query)

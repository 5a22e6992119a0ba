"""The audit flow in a real browser: filter the trail, open a trace, read one event."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.audit.ingest import events_ingest
from apps.audit.models import AuditEvent
from apps.registry import services
from tests.e2e.test_registry_flow import nav, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = {
    "trail": "/tmp/agentgov-trail.png",
    "trace": "/tmp/agentgov-trace.png",
    "event": "/tmp/agentgov-event.png",
    "errors": "/tmp/agentgov-trail-errors.png",
    "activity": "/tmp/agentgov-activity.png",
}


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def seed_run() -> None:
    """A claims agent's run (a decision, then two tool calls, one failing) and a second
    agent's event that the agent filter must hide."""
    admin = UserFactory(username="ada", roles=["admin"])
    agents = {}
    for slug in ("claims-triage", "payments-bot"):
        agent = services.agent_register(
            actor=admin, slug=slug, name=slug.replace("-", " ").capitalize(), owner=admin, risk_tier="high"
        )
        agents[slug] = services.agent_deploy(agent=agent, actor=admin, version="1.0.0", model="gpt-4.1")
    start = timezone.now() - timedelta(minutes=2)
    events_ingest(
        agent=agents["claims-triage"],
        body={
            "events": [
                {
                    "type": "decision",
                    "occurred_at": iso(start),
                    "trace_id": "run-7",
                    "span_id": "plan",
                    "name": "triage.plan",
                    "rationale": "Water damage over 5,000 EUR needs a loss adjuster.",
                    "alternatives": [
                        {"option": "fast_track", "score": 0.31, "reason": "amount too high"},
                        {"option": "send_adjuster", "score": 0.87, "reason": "policy rule 4.2"},
                    ],
                    "chosen": "send_adjuster",
                    "duration_ms": 1800,
                },
                {
                    "type": "tool_call",
                    "occurred_at": iso(start + timedelta(milliseconds=200)),
                    "trace_id": "run-7",
                    "span_id": "lookup",
                    "parent_span_id": "plan",
                    "name": "policy.lookup",
                    "resource": "policy:HX-5521",
                    "input": {"policy": "HX-5521", "api_key": "sk-live-1234567890"},
                    "output": {"cover": "home", "excess_eur": 250},
                    "duration_ms": 450,
                },
                {
                    "type": "tool_call",
                    "occurred_at": iso(start + timedelta(milliseconds=900)),
                    "trace_id": "run-7",
                    "span_id": "book",
                    "parent_span_id": "plan",
                    "name": "calendar.book",
                    "resource": "calendar:adjusters",
                    "status": "error",
                    "input": {"region": "north", "within_days": 3},
                    "output": {"error": "no adjuster free within 3 days"},
                    "duration_ms": 700,
                },
            ]
        },
    )
    events_ingest(agent=agents["payments-bot"], body={"type": "log", "name": "payments.nightly"})
    UserFactory(username="vera", first_name="Vera", last_name="Viewer", roles=["viewer"])


def test_viewer_filters_the_trail_opens_a_trace_and_reads_an_event(page, roles):
    seed_run()
    sign_in(page, "vera")

    nav(page, "Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Last integrity verification")).to_contain_text("Never verified")
    results = page.get_by_role("region", name="Audit events")
    expect(results).to_contain_text("payments.nightly")

    page.get_by_label("Agent (slug)").fill("claims-triage")
    page.get_by_label("Agent (slug)").press("Enter")  # htmx refreshes the results only
    expect(page).to_have_url(re.compile(r"agent=claims-triage"))
    expect(results).not_to_contain_text("payments.nightly")
    expect(results).to_contain_text("calendar.book")
    page.screenshot(path=SCREENSHOTS["trail"], full_page=True)

    row = page.get_by_role("row", name=re.compile("triage.plan"))
    row.get_by_role("link", name="Trace run-7").click()

    expect(page.get_by_role("heading", name="Trace run-7", level=1)).to_be_visible()
    waterfall = page.get_by_role("region", name="Waterfall")
    spans = waterfall.get_by_role("listitem").filter(has=page.locator(".wf-line"))
    expect(spans).to_have_count(3)
    expect(spans.nth(0)).to_contain_text("triage.plan")
    expect(spans.nth(0)).to_contain_text("Water damage over 5,000 EUR needs a loss adjuster.")
    expect(spans.nth(0).locator(".alternative--chosen")).to_contain_text("✓ Chosen")
    expect(spans.nth(0).locator(".alternative--chosen")).to_contain_text("send_adjuster")
    failing = spans.filter(has_text="calendar.book")
    expect(failing.locator(".wf-label")).to_contain_text("error")
    expect(failing).to_contain_text("no adjuster free within 3 days")  # open: it failed
    expect(page.get_by_text("1 error", exact=True)).to_be_visible()
    page.screenshot(path=SCREENSHOTS["trace"], full_page=True)

    lookup = spans.filter(has_text="policy.lookup")
    lookup.get_by_text("Input → output").click()
    expect(lookup.locator("mark.redacted")).to_have_text("[REDACTED:api_key]")
    lookup.get_by_role("link", name=re.compile("Event details: policy.lookup")).click()

    event = AuditEvent.objects.get(name="policy.lookup")
    expect(page.get_by_role("heading", name="policy.lookup", level=1)).to_be_visible()
    chain = page.get_by_role("region", name="Chain position")
    expect(chain).to_contain_text(event.hash)
    expect(chain).to_contain_text(f"#{event.seq}")
    expect(page.get_by_role("region", name="Redacted before storage")).to_contain_text("input.api_key")
    page.screenshot(path=SCREENSHOTS["event"], full_page=True)

    page.get_by_role("link", name="Claims triage", exact=True).click()
    activity = page.get_by_role("region", name="Recent activity")
    expect(activity).to_contain_text("calendar.book")
    expect(activity.get_by_role("link", name="See all in the audit trail")).to_have_attribute(
        "href", "/audit/?agent=claims-triage"
    )
    activity.screenshot(path=SCREENSHOTS["activity"])


def test_a_bad_filter_says_what_is_wrong_until_it_is_fixed(page, roles):
    seed_run()
    sign_in(page, "vera")
    page.goto("/audit/")
    since = page.get_by_label("From")
    since.fill("last tuesday")
    since.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("No events shown: fix the filters first")
    expect(summary).to_contain_text("From: Enter a valid date/time.")
    expect(page.locator("#id_since_error")).to_contain_text("Enter a valid date/time.")
    expect(page.get_by_role("table")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS["errors"], full_page=True)

    since.fill((timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))
    since.press("Enter")
    expect(page.get_by_role("region", name="Audit events")).to_contain_text("calendar.book")
    expect(page.locator("#id_since_error")).to_be_empty()
    expect(page.get_by_role("alert")).to_have_count(0)

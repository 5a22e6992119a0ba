"""Threshold rules measured in SQL over the audit trail, firing and resolving their alert."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentgov.errors import ApplicationError
from apps.alerts import services
from apps.alerts.models import Alert, AlertRule, AlertState
from apps.alerts.services.rules import rule_measure
from apps.audit.ingest import events_ingest

pytestmark = pytest.mark.django_db


def report(agent, *, ok=0, errors=0, denied=0, durations=(), cost=0.0, minutes_ago=5):
    at = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    events = [{"type": "tool_call", "name": "t", "occurred_at": at} for _ in range(ok)]
    events += [
        {"type": "tool_call", "name": "t", "status": "error", "occurred_at": at} for _ in range(errors)
    ]
    events += [{"type": "action", "name": "a", "status": "denied", "occurred_at": at} for _ in range(denied)]
    events += [{"type": "tool_call", "name": "t", "duration_ms": d, "occurred_at": at} for d in durations]
    if cost:
        events.append({"type": "tool_call", "name": "t", "cost_usd": cost, "occurred_at": at})
    events_ingest(agent=agent, body={"events": events})


@pytest.fixture
def rule(admin, live_agent):
    def make(**fields) -> AlertRule:
        values = {
            "name": "errors",
            "metric": "error_rate",
            "agent": live_agent,
            "comparison": "gt",
            "threshold": 10,
            "window_minutes": 60,
            "min_events": 10,
            "severity": "critical",
            "enabled": True,
        } | fields
        return services.rule_create(actor=admin, **values)

    return make


def test_error_rate_fires_then_resolves(rule, live_agent, queued):
    errors = rule()
    report(live_agent, ok=16, errors=4)
    assert services.rules_evaluate() == 1

    alert = Alert.objects.get(fingerprint=errors.fingerprint)
    assert alert.state == AlertState.FIRING and alert.kind == "threshold" and alert.agent == live_agent
    assert alert.details["value"] == 20.0 and "20" in alert.title

    report(live_agent, ok=40)
    AlertRule.objects.update(last_evaluated_at=None)
    services.rules_evaluate()
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED


def test_a_duplicate_tick_does_not_evaluate_again(rule, live_agent):
    rule()
    report(live_agent, ok=20)
    now = timezone.now()
    assert services.rules_evaluate(now=now) == 1
    assert services.rules_evaluate(now=now + timedelta(seconds=5)) == 0
    assert services.rules_evaluate(now=now + timedelta(seconds=31)) == 1


def test_too_few_events_give_no_verdict(rule, live_agent):
    errors = rule(min_events=50)
    report(live_agent, errors=10)
    assert rule_measure(errors).value is None
    services.rules_evaluate()
    assert not Alert.objects.exists()


def test_p95_latency_is_the_nearest_rank_over_timed_events(rule, live_agent):
    latency = rule(name="slow", metric="p95_latency_ms", threshold=500, min_events=20)
    report(live_agent, durations=[float(ms) for ms in range(10, 1010, 10)], ok=30)  # 100 timed events
    measured = rule_measure(latency)
    assert measured.value == 950.0 and measured.events == 100


def test_rates_per_hour_over_the_window_and_the_fleet(rule, live_agent, agent_factory):
    other = agent_factory(status="active")
    report(live_agent, ok=10, denied=3, cost=4.5)
    report(other, ok=20, denied=1)
    report(live_agent, ok=100, minutes_ago=90)  # outside the window

    assert (
        rule_measure(rule(name="v", metric="events_per_hour", agent=None, window_minutes=30)).value == 2 * 35
    )
    assert rule_measure(rule(name="d", metric="denials_per_hour", agent=None, window_minutes=30)).value == 8
    assert rule_measure(rule(name="c", metric="cost_per_hour", window_minutes=60)).value == 4.5


def test_below_fires_when_volume_drops(rule, live_agent):
    quiet = rule(name="quiet", metric="events_per_hour", comparison="lt", threshold=5, min_events=0)
    services.rules_evaluate()
    assert Alert.objects.get(fingerprint=quiet.fingerprint).is_firing


def test_measuring_is_a_few_aggregate_queries_not_a_load_of_events(rule, live_agent):
    latency = rule(name="slow", metric="p95_latency_ms", min_events=5)
    report(live_agent, durations=[float(i) for i in range(200)])
    with CaptureQueriesContext(connection) as queries:
        rule_measure(latency)
    assert len(queries) == 2
    assert "LIMIT 1" in queries[1]["sql"] and "OFFSET 189" in queries[1]["sql"]


def test_rules_are_validated(rule):
    with pytest.raises(ApplicationError, match="percentage") as refused:
        rule(threshold=150)
    assert refused.value.field == "threshold"
    with pytest.raises(ApplicationError, match="window"):
        rule(window_minutes=0)
    rule()
    with pytest.raises(ApplicationError, match="another rule has this name"):
        rule()


def test_disabling_a_rule_resolves_its_alert(rule, live_agent, admin):
    errors = rule()
    report(live_agent, errors=20)
    services.rules_evaluate()
    services.rule_update(rule=errors, actor=admin, enabled=False)
    assert Alert.objects.get(fingerprint=errors.fingerprint).state == AlertState.RESOLVED

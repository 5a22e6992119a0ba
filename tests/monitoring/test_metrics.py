"""Per-metric verdicts and sentences, from counts (no database): thresholds, significance,
and "not enough data" instead of a false alarm."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from apps.monitoring.drift.aggregates import WindowCounts, Windows
from apps.monitoring.drift.metrics import Evaluation
from apps.monitoring.histograms import LATENCY

NOW = datetime(2026, 11, 1, tzinfo=UTC)
WINDOWS = Windows(NOW - timedelta(days=8), NOW - timedelta(days=1), NOW - timedelta(days=1), NOW)


def evaluate(baseline, current, **overrides):
    thresholds = {**settings.MONITORING_DRIFT_THRESHOLDS, **overrides}
    return {r.metric: r for r in Evaluation(baseline, current, WINDOWS, thresholds).results()}


def counts(events=0, failed=0, denied=0, mix=None, latency=None):
    histograms = {}
    if latency:
        histogram = [0] * len(LATENCY.edges)
        for edge, n in latency.items():
            histogram[LATENCY.edges.index(edge)] = n
        histograms["duration_ms"] = histogram
    return WindowCounts(events=events, failed=failed, denied=denied, mix=mix or {}, histograms=histograms)


def test_too_few_events_are_not_enough_data_never_drift():
    results = evaluate(counts(events=10, failed=0), counts(events=10, failed=10))

    assert results["error_rate"].verdict == "not_enough_data"
    assert results["error_rate"].score is None and results["error_rate"].severity is None
    assert "needs 30 in each" in results["error_rate"].sentence


def test_a_significant_rise_in_errors_over_the_threshold_is_drift():
    results = evaluate(counts(events=1000, failed=20), counts(events=200, failed=30))

    rate = results["error_rate"]
    assert rate.verdict == "drift"
    assert rate.score == pytest.approx(0.13)
    assert rate.p_value < 0.01
    assert rate.sentence == "15.0% of events failed, against 2.0% in the baseline"
    assert rate.severity == pytest.approx(0.13 / 0.05)


def test_a_rise_over_the_threshold_that_could_be_chance_is_not_drift():
    # 5% → 15% on 40 events each: over the threshold, but p ≈ 0.13.
    rate = evaluate(counts(events=40, failed=2), counts(events=40, failed=6))["error_rate"]

    assert rate.score > rate.threshold
    assert rate.p_value > 0.05
    assert rate.verdict == "ok"
    assert rate.severity < 1


def test_a_significant_rise_under_the_agents_own_threshold_is_not_drift():
    rate = evaluate(counts(events=1000, failed=20), counts(events=200, failed=30), error_rate=0.2)[
        "error_rate"
    ]

    assert rate.verdict == "ok"


def test_denials_are_compared_like_errors():
    results = evaluate(counts(events=500, denied=0), counts(events=100, denied=12))

    assert results["denial_rate"].verdict == "drift"
    assert "12.0% of events were denied" in results["denial_rate"].sentence


def test_the_tool_mix_sentence_names_the_tool_that_changed_most():
    baseline = counts(events=400, mix={"github.read": 300, "shell.exec": 50, "github.comment": 50})
    current = counts(events=100, mix={"github.read": 40, "shell.exec": 50, "github.comment": 10})

    mix = evaluate(baseline, current)["tool_mix"]

    assert mix.verdict == "drift"
    assert mix.sentence.startswith("calls `shell.exec` 4.0× as often as in the baseline")


def test_a_tool_never_used_before_is_named():
    baseline = counts(events=400, mix={"github.read": 400})
    current = counts(events=100, mix={"github.read": 95, "github.merge": 5})

    new = evaluate(baseline, current)["new_tools"]

    assert new.verdict == "drift"
    assert new.sentence == "started calling `github.merge` (5 calls), never used before"


def test_more_new_tools_rank_as_more_severe():
    baseline = counts(events=400, mix={"github.read": 400})
    one = counts(events=100, mix={"github.read": 95, "github.merge": 5})
    three = counts(events=100, mix={"github.read": 85, "github.merge": 5, "shell.exec": 5, "s3.delete": 5})

    assert evaluate(baseline, one)["new_tools"].severity == 2.0
    assert evaluate(baseline, three)["new_tools"].severity == 4.0


def test_a_tool_seen_before_the_baseline_is_not_new():
    baseline = counts(events=400, mix={"github.read": 400})
    current = counts(events=100, mix={"github.read": 95, "github.merge": 5})
    thresholds = settings.MONITORING_DRIFT_THRESHOLDS

    results = Evaluation(baseline, current, WINDOWS, thresholds, seen_before={"github.merge"}).results()

    assert next(r for r in results if r.metric == "new_tools").verdict == "ok"


def test_slower_latency_drifts_and_says_by_how_much():
    baseline = counts(events=500, latency={100.0: 450, 200.0: 50})
    current = counts(events=100, latency={500.0: 80, 1000.0: 20})

    latency = evaluate(baseline, current)["latency"]

    assert latency.verdict == "drift"
    assert latency.sentence.startswith("median latency 812 ms against 156 ms in the baseline")


def test_volume_compares_events_per_hour():
    # Baseline: 7 days at 10/h; recent day: 40/h.
    volume = evaluate(counts(events=1680), counts(events=960))["volume"]

    assert volume.verdict == "drift"
    assert volume.score == pytest.approx(2.0)
    assert volume.sentence == "40.0 events per hour, 4.0× the baseline's 10.0"


def test_an_agent_that_stopped_reporting_has_dropped_volume():
    volume = evaluate(counts(events=1680), counts(events=0))["volume"]

    assert volume.verdict == "drift"
    assert "sent no events in the recent window" in volume.sentence

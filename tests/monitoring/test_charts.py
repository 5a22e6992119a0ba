"""Figures built in Python: plain JSON for json_script, WebGL when points are many."""

from datetime import UTC, datetime, timedelta

from apps.monitoring import charts
from apps.monitoring.drift.metrics import METRICS
from apps.monitoring.models import DriftReport

START = datetime(2026, 10, 1, tzinfo=UTC)


def reports(n: int) -> list[DriftReport]:
    metrics = [
        {"metric": m, "score": 0.1, "threshold": 0.25, "verdict": "ok", "sentence": "fine", "severity": 0.4}
        for m in METRICS
    ]
    return [DriftReport(as_of=START + timedelta(hours=h), metrics=metrics) for h in range(n)]


def trace_types(figure: dict) -> set[str]:
    return {trace["type"] for trace in figure["data"]}


def test_a_short_history_is_drawn_in_svg_with_threshold_lines_and_deploys():
    figure = charts.agent_metric_history(reports(48), [(START + timedelta(hours=10), "1.1.0")])

    assert trace_types(figure) == {"scatter"}
    assert len(figure["data"]) == 2 * len(METRICS)  # each metric and its threshold
    assert any(a.get("text") == "deploy 1.1.0" for a in figure["layout"]["annotations"])
    assert len(figure["layout"]["shapes"]) == len(METRICS)  # one deploy line per row


def test_thousands_of_points_are_drawn_with_webgl():
    figure = charts.agent_metric_history(reports(2000), [])

    assert "scattergl" in trace_types(figure)


def test_no_history_is_no_chart():
    assert charts.agent_metric_history([], []) is None
    assert charts.tool_mix_bars(None) is None
    assert charts.distribution_overlay(None, "latency") is None

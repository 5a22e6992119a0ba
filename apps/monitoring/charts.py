"""Plotly figures built in Python from selector data; templates pass them with
`json_script` and static/monitoring/charts.js draws them with the vendored plotly.js."""

import json
from datetime import datetime

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apps.monitoring.drift.metrics import MAX_SEVERITY, MEASURE_OF, METRICS
from apps.monitoring.models import DriftReport

# Above this many points a trace is drawn with WebGL (scattergl), which stays fast with
# tens of thousands of points; below, SVG is sharper and needs no GPU.
WEBGL_FROM = 1000
HEATMAP_MAX_AGENTS = 60
COLOURS = {"baseline": "#8c959f", "current": "#0969da", "drift": "#cf222e", "threshold": "#bf8700"}
# Green under the threshold (severity 1), amber at it, red beyond.
SEVERITY_SCALE = [[0, "#e6f4ea"], [0.15, "#b7e1c1"], [0.199, "#fff4d6"], [0.4, "#f0a26a"], [1, "#8c1d18"]]


def _layout(fig: go.Figure, *, height: int, **extra) -> dict:
    fig.update_layout(
        **{
            "template": "simple_white",
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
            "font": {"family": "system-ui, sans-serif", "size": 12},
            "hoverlabel": {"align": "left"},
            **extra,
        }
    )
    # Through plotly's own encoder (numpy, datetimes), then plain data for json_script.
    return json.loads(fig.to_json())


def _scatter(n_points: int):
    return go.Scattergl if n_points >= WEBGL_FROM else go.Scatter


def fleet_heatmap(reports: list[DriftReport]) -> dict | None:
    """Agents × metrics, coloured by score / threshold (1 = at the threshold); grey
    cells have no verdict for lack of data."""
    if not reports:
        return None
    reports = reports[:HEATMAP_MAX_AGENTS][::-1]  # most severe on top
    metrics = list(METRICS)
    z, text = [], []
    for report in reports:
        by_metric = {m["metric"]: m for m in report.metrics}
        z.append([by_metric.get(m, {}).get("severity") for m in metrics])
        text.append([by_metric.get(m, {}).get("sentence", "") for m in metrics])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[METRICS[m] for m in metrics],
            y=[r.agent.slug for r in reports],
            text=text,
            zmin=0,
            zmax=MAX_SEVERITY,
            colorscale=SEVERITY_SCALE,
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": "score ÷ threshold"}, "tickvals": [0, 1, 2, 3, 4, 5]},
            hovertemplate="<b>%{y}</b> · %{x}<br>%{text}<br>score ÷ threshold %{z:.2f}<extra></extra>",
        )
    )
    return _layout(
        fig,
        height=max(300, 130 + 28 * len(reports)),
        margin={"l": 60, "r": 20, "t": 100, "b": 20},
        xaxis={"side": "top", "tickangle": -30},
        plot_bgcolor="#eef1f4",
    )


def events_per_hour(points: list[tuple[datetime, int]]) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[hour for hour, _ in points],
            y=[n for _, n in points],
            marker_color=COLOURS["current"],
            hovertemplate="%{x|%d %b %H:00}<br>%{y} events<extra></extra>",
        )
    )
    return _layout(fig, height=260, yaxis={"title": {"text": "events"}}, bargap=0.1)


def agent_metric_history(reports: list[DriftReport], deploys: list[tuple[datetime, str]]) -> dict | None:
    """Each metric's score over time (one row per metric) with its threshold line, drift
    runs in red, and a vertical line at each version deploy."""
    if not reports:
        return None
    metrics = list(METRICS)
    fig = make_subplots(
        rows=len(metrics),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.02,
        subplot_titles=[METRICS[m] for m in metrics],
    )
    times = [r.as_of for r in reports]
    for row, metric in enumerate(metrics, start=1):
        points = [next((m for m in r.metrics if m["metric"] == metric), {}) for r in reports]
        scores = [p.get("score") for p in points]
        fig.add_trace(
            _scatter(len(times))(
                x=times,
                y=scores,
                mode="lines+markers",
                name=METRICS[metric],
                line={"color": COLOURS["current"], "width": 1.5},
                marker={
                    "size": 5,
                    "color": [
                        COLOURS["drift"] if p.get("verdict") == "drift" else COLOURS["current"]
                        for p in points
                    ],
                },
                text=[p.get("sentence", "") for p in points],
                hovertemplate="%{x|%d %b %H:%M}<br>%{y:.3f}<br>%{text}<extra></extra>",
                showlegend=False,
            ),
            row=row,
            col=1,
        )
        threshold = next((p["threshold"] for p in reversed(points) if "threshold" in p), None)
        if threshold is not None:
            fig.add_trace(
                go.Scatter(
                    x=[times[0], times[-1]],
                    y=[threshold, threshold],
                    mode="lines",
                    line={"color": COLOURS["threshold"], "dash": "dash", "width": 1},
                    hovertemplate=f"threshold {threshold:g}<extra></extra>",
                    showlegend=False,
                ),
                row=row,
                col=1,
            )
    for when, label in deploys:
        if times[0] <= when <= times[-1]:
            fig.add_vline(x=when, line={"color": "#6e7781", "dash": "dot", "width": 1}, row="all", col=1)
            fig.add_annotation(
                x=when,
                y=1.0,
                yref="paper",
                text=f"deploy {label}",
                showarrow=False,
                yanchor="bottom",
                font={"size": 10, "color": "#57606a"},
            )
    fig.update_annotations(font_size=11)
    return _layout(fig, height=150 * len(metrics), margin={"l": 60, "r": 20, "t": 50, "b": 30})


def tool_mix_bars(report: DriftReport | None) -> dict | None:
    mix = (report.details or {}).get("mix") if report else None
    if not mix or not mix.get("names"):
        return None
    total_b, total_c = sum(mix["baseline"]) or 1, sum(mix["current"]) or 1
    fig = go.Figure(
        [
            go.Bar(
                name="baseline",
                x=mix["names"],
                y=[n / total_b for n in mix["baseline"]],
                marker_color=COLOURS["baseline"],
            ),
            go.Bar(
                name="recent",
                x=mix["names"],
                y=[n / total_c for n in mix["current"]],
                marker_color=COLOURS["current"],
            ),
        ]
    )
    fig.update_traces(hovertemplate="%{x}: %{y:.1%} of calls<extra>%{fullData.name}</extra>")
    return _layout(
        fig,
        height=320,
        barmode="group",
        yaxis={"tickformat": ".0%", "title": {"text": "share of calls"}},
        legend={"orientation": "h", "y": 1.12},
    )


def distribution_overlay(report: DriftReport | None, metric: str) -> dict | None:
    """Baseline and recent histograms of a measure (latency, cost, tokens), overlaid."""
    histogram = ((report.details or {}).get("histograms") or {}).get(metric) if report else None
    if not histogram or not (sum(histogram["baseline"]) and sum(histogram["current"])):
        return None
    measure = MEASURE_OF[metric]
    # Only the buckets either window uses, and one on each side, so the shape is readable.
    used = [
        i for i, (b, c) in enumerate(zip(histogram["baseline"], histogram["current"], strict=True)) if b or c
    ]
    shown = range(max(used[0] - 1, 0), min(used[-1] + 2, len(measure.edges)))
    labels = [f"≥ {measure.format(measure.edges[i])}" for i in shown]
    traces = []
    for window, colour in (("baseline", COLOURS["baseline"]), ("current", COLOURS["current"])):
        counts = histogram[window]
        total = sum(counts)
        traces.append(
            go.Bar(
                name="recent" if window == "current" else window,
                x=labels,
                y=[counts[i] / total for i in shown],
                marker_color=colour,
                opacity=0.6,
            )
        )
    fig = go.Figure(traces)
    fig.update_traces(hovertemplate="%{x}: %{y:.1%}<extra>%{fullData.name}</extra>")
    return _layout(
        fig,
        height=280,
        barmode="overlay",
        bargap=0.05,
        yaxis={"tickformat": ".0%", "title": {"text": "share of events"}},
        xaxis={"title": {"text": measure.label}},
        legend={"orientation": "h", "y": 1.15},
    )

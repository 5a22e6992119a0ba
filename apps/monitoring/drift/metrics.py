"""Each drift metric: its score, p-value, threshold, verdict and a sentence a person reads.

Scores (thresholds in settings.MONITORING_DRIFT_THRESHOLDS, overridable per agent):
- tool_mix: Jensen-Shannon distance of the tool/action mix (0..1); chi-square p-value.
- new_tools: distinct tools used now and never before.
- error_rate / denial_rate: increase of the share of failed / denied events; z-test p-value.
- latency / cost / tokens: Wasserstein distance relative to the baseline mean; KS p-value.
- volume: |log2| of the ratio of events per hour; exact binomial p-value.
A metric drifts only when its score crosses the threshold and its p-value (if any) is under
MONITORING_DRIFT_ALPHA divided by the number of metrics (Bonferroni: an agent drifts if any
metric does, so the agent's false-alarm rate stays under the alpha). Too few events in
either window: "not enough data", never drift.
"""

import math
from dataclasses import asdict, dataclass

from django.conf import settings

from apps.monitoring.drift import stats
from apps.monitoring.drift.aggregates import BASELINE, CURRENT, WindowCounts, Windows
from apps.monitoring.histograms import COST, LATENCY, TOKENS, Measure
from apps.monitoring.models import DriftVerdict

METRICS = {
    "tool_mix": "Tool mix",
    "new_tools": "New tools",
    "error_rate": "Error rate",
    "denial_rate": "Denial rate",
    "latency": "Latency",
    "cost": "Cost per event",
    "tokens": "Tokens per event",
    "volume": "Volume",
}
MEASURE_OF = {"latency": LATENCY, "cost": COST, "tokens": TOKENS}
MAX_SEVERITY = 5.0


@dataclass(frozen=True)
class MetricResult:
    metric: str
    score: float | None
    p_value: float | None
    threshold: float
    verdict: str
    sentence: str

    @property
    def label(self) -> str:
        return METRICS[self.metric]

    @property
    def severity(self) -> float | None:
        """score / threshold, capped; under 1 unless the metric drifts; None without data.
        A metric whose threshold is 0 (new tools: any one is drift) counts instead: one new
        tool is 2, each more adds 1, so agents with more new tools rank higher."""
        if self.score is None:
            return None
        ratio = (
            (self.score / self.threshold)
            if self.threshold > 0
            else (1.0 + self.score if self.score > 0 else 0.0)
        )
        ratio = min(ratio, MAX_SEVERITY)
        return ratio if self.verdict == DriftVerdict.DRIFT else min(ratio, 0.99)

    def as_json(self) -> dict:
        return {**asdict(self), "label": self.label, "severity": self.severity}


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 1e6


class Evaluation:
    """The metrics of one agent's (baseline, current) counts."""

    def __init__(
        self,
        baseline: WindowCounts,
        current: WindowCounts,
        windows: Windows,
        thresholds: dict[str, float],
        seen_before: set[str] = frozenset(),
    ) -> None:
        self.b, self.c, self.windows = baseline, current, windows
        self.thresholds, self.seen_before = thresholds, seen_before
        self.minimum = settings.MONITORING_DRIFT_MIN_EVENTS
        self.alpha = settings.MONITORING_DRIFT_ALPHA / len(METRICS)

    def results(self) -> list[MetricResult]:
        return [
            self.tool_mix(),
            self.new_tools(),
            self.rate("error_rate", "failed", "failed"),
            self.rate("denial_rate", "denied", "were denied"),
            *(self.distribution(metric) for metric in MEASURE_OF),
            self.volume(),
        ]

    def _result(self, metric, score, p_value, sentence) -> MetricResult:
        threshold = float(self.thresholds[metric])
        significant = p_value is None or p_value < self.alpha
        verdict = DriftVerdict.DRIFT if score > threshold and significant else DriftVerdict.OK
        return MetricResult(metric, _finite(score), p_value, threshold, verdict, sentence)

    def _not_enough(self, metric: str, what: str, have_b: int, have_c: int) -> MetricResult:
        sentence = (
            f"not enough data: {have_c} {what} in the recent window and {have_b} in the baseline "
            f"(needs {self.minimum} in each)"
        )
        return MetricResult(
            metric, None, None, float(self.thresholds[metric]), DriftVerdict.NOT_ENOUGH_DATA, sentence
        )

    def tool_mix(self) -> MetricResult:
        n_b, n_c = sum(self.b.mix.values()), sum(self.c.mix.values())
        if min(n_b, n_c) < self.minimum:
            return self._not_enough("tool_mix", "tool calls", n_b, n_c)
        distance, p_value = stats.mix_shift(self.b.mix, self.c.mix)
        return self._result("tool_mix", distance, p_value, self._mix_sentence(n_b, n_c, distance))

    def _mix_sentence(self, n_b: int, n_c: int, distance: float) -> str:
        def change(name):
            return abs(self.c.mix.get(name, 0) / n_c - self.b.mix.get(name, 0) / n_b)

        name = max(set(self.b.mix) | set(self.c.mix), key=lambda n: (change(n), n))
        share_b, share_c = self.b.mix.get(name, 0) / n_b, self.c.mix.get(name, 0) / n_c
        if share_b == 0:
            said = f"now calls `{name}` ({share_c:.0%} of calls), which it did not call in the baseline"
        elif share_c == 0:
            said = f"stopped calling `{name}` ({share_b:.0%} of calls in the baseline)"
        elif share_c >= share_b:
            said = f"calls `{name}` {share_c / share_b:.1f}× as often as in the baseline"
        else:
            said = f"calls `{name}` {share_b / share_c:.1f}× less often than in the baseline"
        return f"{said} (Jensen-Shannon distance {distance:.2f})"

    def new_tools(self) -> MetricResult:
        n_b = sum(self.b.mix.values())
        if n_b < self.minimum:
            return self._not_enough("new_tools", "tool calls", n_b, sum(self.c.mix.values()))
        new = sorted(set(self.c.mix) - set(self.b.mix) - set(self.seen_before))
        if not new:
            return self._result("new_tools", 0.0, None, "uses no tool it had not used before")
        calls = sum(self.c.mix[name] for name in new)
        names = ", ".join(f"`{name}`" for name in new[:5]) + (" and more" if len(new) > 5 else "")
        sentence = f"started calling {names} ({calls} call{'s' if calls != 1 else ''}), never used before"
        return self._result("new_tools", float(len(new)), None, sentence)

    def rate(self, metric: str, attribute: str, verb: str) -> MetricResult:
        n_b, n_c = self.b.events, self.c.events
        if min(n_b, n_c) < self.minimum:
            return self._not_enough(metric, "events", n_b, n_c)
        x_b, x_c = getattr(self.b, attribute), getattr(self.c, attribute)
        increase, p_value = stats.proportion_shift(x_b, n_b, x_c, n_c)
        sentence = f"{x_c / n_c:.1%} of events {verb}, against {x_b / n_b:.1%} in the baseline"
        return self._result(metric, increase, p_value, sentence)

    def distribution(self, metric: str) -> MetricResult:
        measure: Measure = MEASURE_OF[metric]
        hist_b, hist_c = self.b.histogram(measure), self.c.histogram(measure)
        if min(sum(hist_b), sum(hist_c)) < self.minimum:
            return self._not_enough(metric, f"events with {measure.label.lower()}", sum(hist_b), sum(hist_c))
        relative, _ks, p_value = stats.histogram_shift(measure.centres, hist_b, hist_c)
        median_b, median_c = measure.quantile(hist_b, 0.5), measure.quantile(hist_c, 0.5)
        p95_b, p95_c = measure.quantile(hist_b, 0.95), measure.quantile(hist_c, 0.95)
        sentence = (
            f"median {measure.label.lower()} {measure.format(median_c)} against {measure.format(median_b)} "
            f"in the baseline (p95 {measure.format(p95_c)} against {measure.format(p95_b)})"
        )
        return self._result(metric, relative, p_value, sentence)

    def volume(self) -> MetricResult:
        n_b, n_c = self.b.events, self.c.events
        if n_b < self.minimum:
            return self._not_enough("volume", "events", n_b, n_c)
        hours_b, hours_c = self.windows.hours(BASELINE), self.windows.hours(CURRENT)
        score, p_value = stats.rate_shift(n_b, hours_b, n_c, hours_c)
        rate_b, rate_c = n_b / hours_b, n_c / hours_c
        if rate_c == 0:
            sentence = f"sent no events in the recent window, against {rate_b:,.1f} per hour in the baseline"
        else:
            factor = rate_c / rate_b
            if 0.9 <= factor <= 1.1:
                how = "about the"
            else:
                how = f"{factor:.1f}× the" if factor > 1 else f"{1 / factor:.1f}× fewer than the"
            sentence = f"{rate_c:,.1f} events per hour, {how} baseline's {rate_b:,.1f}"
        return self._result("volume", score, p_value, sentence)

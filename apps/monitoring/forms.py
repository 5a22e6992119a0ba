"""The monitoring settings form of one agent; the service holds the rules."""

from datetime import timedelta

from django import forms
from django.conf import settings

from apps.monitoring.drift.metrics import METRICS
from apps.monitoring.models import AgentMonitor, Baseline


class MonitorSettingsForm(forms.Form):
    interval_seconds = forms.IntegerField(
        min_value=10, label="Heartbeat interval (seconds)", help_text="How often the agent should beat."
    )
    grace_seconds = forms.IntegerField(
        min_value=10, label="Grace (seconds)", help_text="Late for this long after a missed beat, then down."
    )
    error_rate_threshold = forms.FloatField(
        required=False,
        min_value=0.001,
        max_value=1,
        label="Degraded above error rate",
        help_text=f"A share of recent events, 0..1. Empty: fleet default ({settings.MONITORING_ERROR_RATE_THRESHOLD}).",
    )
    p95_latency_ms_threshold = forms.FloatField(
        required=False,
        min_value=1,
        label="Degraded above p95 latency (ms)",
        help_text=f"Empty: fleet default ({settings.MONITORING_P95_LATENCY_MS_THRESHOLD:g} ms).",
    )
    drift_baseline = forms.ChoiceField(choices=Baseline.choices, label="Drift baseline")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    service_field_aliases = {"interval": "interval_seconds", "grace": "grace_seconds"}

    def __init__(self, *args, monitor: AgentMonitor, **kwargs):
        initial = {
            "interval_seconds": int(monitor.interval.total_seconds()),
            "grace_seconds": int(monitor.grace.total_seconds()),
            "error_rate_threshold": monitor.error_rate_threshold,
            "p95_latency_ms_threshold": monitor.p95_latency_ms_threshold,
            "drift_baseline": monitor.drift_baseline,
            **{f"drift_{m}": (monitor.drift_thresholds or {}).get(m) for m in METRICS},
        }
        super().__init__(*args, initial=initial, **kwargs)
        for metric, label in METRICS.items():
            self.fields[f"drift_{metric}"] = forms.FloatField(
                required=False,
                min_value=0,
                label=f"Drift threshold: {label.lower()}",
                help_text=f"Empty: fleet default ({settings.MONITORING_DRIFT_THRESHOLDS[metric]:g}).",
            )
        self.order_fields([*(n for n in self.fields if n != "reason"), "reason"])

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "interval": timedelta(seconds=data["interval_seconds"]),
            "grace": timedelta(seconds=data["grace_seconds"]),
            "error_rate_threshold": data["error_rate_threshold"],
            "p95_latency_ms_threshold": data["p95_latency_ms_threshold"],
            "drift_baseline": data["drift_baseline"],
            "drift_thresholds": {m: data[f"drift_{m}"] for m in METRICS if data[f"drift_{m}"] is not None},
            "reason": data["reason"],
        }

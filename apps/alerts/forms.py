"""Forms of the alerts pages; the services validate, the forms only shape input."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from apps.alerts.models import AlertRule, Channel, ChannelKind, Comparison, RuleMetric, Severity
from apps.alerts.transports import TRANSPORTS
from apps.registry.models import Agent, AgentStatus

SILENCE_CHOICES = [
    ("1", "1 hour"),
    ("4", "4 hours"),
    ("24", "1 day"),
    ("168", "1 week"),
    ("custom", "Until…"),
]


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        max_length=500,
        required=False,
        help_text="Optional: what you are doing about it (kept in the audit trail).",
    )


class SilenceForm(forms.Form):
    duration = forms.ChoiceField(choices=SILENCE_CHOICES, initial="4", label="Silence for")
    until = forms.DateTimeField(
        required=False,
        label="Until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Only with “Until…”; in the server's time zone.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Why, for the audit trail.")

    def until_value(self):
        duration = self.cleaned_data["duration"]
        if duration == "custom":
            return self.cleaned_data.get("until")
        return timezone.now() + timedelta(hours=int(duration))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("duration") == "custom" and not cleaned.get("until"):
            self.add_error("until", "choose when the silence ends")
        return cleaned


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    name = forms.CharField(max_length=100)
    target = forms.CharField(
        max_length=1000,
        help_text=" · ".join(
            f"{ChannelKind(kind).label}: {cls.target_help}" for kind, cls in TRANSPORTS.items()
        ),
    )
    min_severity = forms.ChoiceField(
        choices=Severity.choices, initial=Severity.WARNING, label="Send alerts of this severity and above"
    )
    teams = forms.CharField(
        required=False, help_text="Only alerts of these teams (comma-separated); empty: every team."
    )
    repeat_minutes = forms.IntegerField(
        required=False,
        min_value=0,
        label="Repeat every (minutes)",
        help_text="While an alert fires unacknowledged; 0: never; empty: the server default.",
    )

    unmarked_optional = ("teams", "repeat_minutes")

    def __init__(self, *args, channel: Channel | None = None, **kwargs):
        if channel is not None:
            kwargs["initial"] = {
                "kind": channel.kind,
                "name": channel.name,
                "target": channel.target,
                "min_severity": channel.min_severity,
                "teams": ", ".join(channel.teams),
                "repeat_minutes": channel.repeat_minutes,
            }
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["teams"] = [team for team in data["teams"].split(",") if team.strip()]
        return data


class RuleForm(forms.ModelForm):
    agent = forms.ModelChoiceField(
        queryset=Agent.objects.exclude(status=AgentStatus.RETIRED).order_by("slug"),
        to_field_name="slug",
        required=False,
        empty_label="The whole fleet",
        label="Scope",
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "metric",
            "agent",
            "comparison",
            "threshold",
            "window_minutes",
            "min_events",
            "severity",
            "enabled",
        ]
        labels = {
            "window_minutes": "Window (minutes)",
            "min_events": "Minimum events",
            "comparison": "Fires when",
        }
        widgets = {
            "metric": forms.Select(choices=RuleMetric.choices),
            "comparison": forms.Select(choices=Comparison.choices),
        }

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)

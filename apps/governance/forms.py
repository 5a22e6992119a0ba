"""Forms for the governance pages. They shape input; the services hold the rules."""

import re
from decimal import Decimal

from django import forms

from apps.governance.models import OverLimit, RateWindow
from apps.registry.forms import split_list
from apps.registry.models import RiskTier

MAX_SIMULATION_DAYS = 90
RATE_LINE = re.compile(r"^(?P<action>\S+)\s+(?P<max>\d+)\s*/\s*(?P<per>\w+)$")


class FieldsByHead(dict):
    """`service_field_aliases` for forms whose services name nested inputs (`rules[2].effect`,
    `rate_limits[1].per`): `agentgov.forms.call_service` looks the name up with `.get`, and
    this maps it by its head (`rules`, `rate_limits`), or to `default` when the form has no
    such field, so the message lands next to the input that holds the mistake."""

    def __init__(self, mapping: dict[str, str] | None = None, *, default: str | None = None) -> None:
        super().__init__(mapping or {})
        self.default = default

    def get(self, key, fallback=None):
        if not key:
            return fallback
        head = re.split(r"[\[.]", key, maxsplit=1)[0]
        return super().get(head, self.default or head)


class QueueFilterForm(forms.Form):
    agent = forms.CharField(
        required=False,
        label="Agent (slug)",
        widget=forms.TextInput(attrs={"list": "queue-agents", "autocomplete": "off", "spellcheck": "false"}),
    )
    tier = forms.ChoiceField(choices=[("", "Any tier"), *RiskTier.choices], required=False, label="Risk tier")
    action = forms.CharField(required=False, label="Action (contains)")
    rule = forms.CharField(
        required=False,
        label="Rule",
        widget=forms.TextInput(attrs={"list": "queue-rules", "autocomplete": "off", "spellcheck": "false"}),
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: value.strip() for name, value in self.cleaned_data.items() if value and value.strip()}


class DecideForm(forms.Form):
    """Approve (comment optional) or reject (comment required, by the service, which holds
    the rule; the label only says so)."""

    comment = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    LABELS = {
        "approve": ("Comment", "Optional. Shown to the agent and kept in the audit trail."),
        "reject": ("Why you reject it", "Required. Shown to the agent and kept in the audit trail."),
    }

    def __init__(self, *args, verdict: str, **kwargs):
        super().__init__(*args, prefix=verdict, **kwargs)
        label, help_text = self.LABELS[verdict]
        self.fields["comment"].label, self.fields["comment"].help_text = label, help_text
        self.unmarked_optional = ("comment",)


class PolicyForm(forms.Form):
    yaml = forms.CharField(
        label="Policy (YAML)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    comment = forms.CharField(
        max_length=2000,
        label="What changed and why",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Saved with the new version and in the audit trail.",
    )
    # Anything the policy validation names (rules[2].effect, holds, yaml) is in the YAML.
    service_field_aliases = FieldsByHead({"comment": "comment"}, default="yaml")
    # Empty YAML is a policy with no rules (the tier defaults decide), not a missing field.
    unmarked_optional = ("yaml",)


class SimulationForm(forms.Form):
    yaml = PolicyForm.base_fields["yaml"]
    days = forms.IntegerField(
        min_value=1,
        max_value=MAX_SIMULATION_DAYS,
        initial=7,
        label="Replay the last N days",
        widget=forms.NumberInput(attrs={"class": "input--short"}),
    )
    comment = forms.CharField(
        max_length=2000,
        required=False,
        label="Comment (to publish)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to publish: what changed and why.",
    )
    service_field_aliases = PolicyForm.service_field_aliases
    unmarked_optional = ("yaml", "comment")


class HoldForm(forms.Form):
    pattern = forms.CharField(
        max_length=500,
        help_text="A resource glob: service:payments, db:prod/*, github:acme/*",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Shown to agents held back.")
    ends_at = forms.DateTimeField(
        required=False,
        label="Ends",
        help_text="In UTC. Leave empty to hold until released.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why the resource is no longer under review."
    )


class LimitsForm(forms.Form):
    """An agent's blast radius, as text people can paste: one pattern or rate per line."""

    resource_patterns = forms.CharField(
        required=False,
        label="Allowed resources",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One glob per line, e.g. github:acme/*. Empty: any resource. Anything else is denied.",
    )
    rate_limits = forms.CharField(
        required=False,
        label="Rate limits",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line: action glob, then max per minute or hour, e.g. deploy 5/hour or * 60/minute.",
    )
    daily_budget = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=18, decimal_places=2, label="Daily budget"
    )
    budget_fields = forms.CharField(
        required=False,
        label="Spend params",
        help_text="Params summed toward the budget, comma-separated (dotted paths), e.g. amount, cost_usd.",
    )
    over_limit = forms.ChoiceField(
        choices=OverLimit.choices, label="Over a rate or budget limit", initial=OverLimit.DENY
    )
    service_field_aliases = FieldsByHead()

    def __init__(self, *args, limits=None, **kwargs):
        if limits is not None:
            kwargs["initial"] = {
                "resource_patterns": "\n".join(limits.resource_patterns),
                "rate_limits": "\n".join(f"{r['action']} {r['max']}/{r['per']}" for r in limits.rate_limits),
                "daily_budget": limits.daily_budget,
                "budget_fields": ", ".join(limits.budget_fields),
                "over_limit": limits.over_limit,
            }
        else:
            kwargs["initial"] = {"budget_fields": "amount, cost_usd"}
        super().__init__(*args, **kwargs)

    def clean_resource_patterns(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["resource_patterns"].splitlines() if line.strip()]

    def clean_rate_limits(self) -> list[dict]:
        rates = []
        for number, line in enumerate(self.cleaned_data["rate_limits"].splitlines(), start=1):
            if not line.strip():
                continue
            match = RATE_LINE.match(line.strip())
            if match is None or match["per"] not in RateWindow.values or int(match["max"]) < 1:
                raise forms.ValidationError(
                    f"line {number} ({line.strip()!r}): write an action glob, then N/minute or N/hour, "
                    "e.g. deploy 5/hour"
                )
            rates.append({"action": match["action"], "max": int(match["max"]), "per": match["per"]})
        return rates

    def clean_budget_fields(self) -> list[str]:
        return split_list(self.cleaned_data["budget_fields"])

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)

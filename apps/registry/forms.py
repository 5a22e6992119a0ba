"""Forms for the registry pages. They shape input for the services, which hold the rules."""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.registry.filters import AgentFilter
from apps.registry.models import (
    Agent,
    Environment,
    RiskTier,
    config_digest_validator,
    version_label_validator,
)
from apps.registry.services.agents import EDITABLE_FIELDS


def split_list(value: str) -> list[str]:
    """'a, b\\nc' → ['a', 'b', 'c']: people paste lists with commas or one per line."""
    return [item.strip() for item in re.split(r"[,\n]", value or "") if item.strip()]


class AgentPageFilter(AgentFilter):
    """The API's filter set, with checkboxes instead of multi-selects for people."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("status", "risk_tier"):
            self.filters[name].extra["widget"] = forms.CheckboxSelectMultiple
        self.filters["environment"].extra["empty_label"] = "Any environment"
        self.filters["owner"].extra["empty_label"] = "Anyone"
        # A method filter has no model field to take its label from.
        self.filters["tag"].label = "Tag"


class AgentForm(forms.Form):
    """Register (with slug) or edit (without: keys and policies name the slug)."""

    slug = forms.SlugField(
        max_length=64,
        help_text="Lowercase letters, digits and hyphens; it never changes once registered.",
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What the agent is for, in a sentence or two.",
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), to_field_name="username")
    team = forms.CharField(max_length=100, required=False)
    risk_tier = forms.ChoiceField(choices=RiskTier.choices, label="Risk tier")
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. payments, customer-facing.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why, for the audit trail.",
    )

    def __init__(self, *args, agent: Agent | None = None, **kwargs):
        if agent is not None:
            kwargs["initial"] = {field: getattr(agent, field) for field in EDITABLE_FIELDS} | {
                "owner": agent.owner.get_username(),
                "tags": ", ".join(agent.tags),
            }
        super().__init__(*args, **kwargs)
        active = Q(is_active=True)
        if agent is not None:
            # An inactive owner stays selectable, so editing other fields is still possible.
            active |= Q(pk=agent.owner_id)
            del self.fields["slug"]
        self.fields["owner"].queryset = User.objects.filter(active).order_by("username")

    def clean_tags(self) -> list[str]:
        return split_list(self.cleaned_data["tags"])

    def service_kwargs(self) -> dict:
        names = ("slug", *EDITABLE_FIELDS, "reason")
        return {name: self.cleaned_data[name] for name in names if name in self.fields}


class DeployForm(forms.Form):
    """Redeploy a known version (a rollback) or describe a new one."""

    redeploy = forms.ChoiceField(
        required=False,
        label="Redeploy an existing version",
        help_text="Choose an earlier version to roll back to it.",
    )
    version = forms.CharField(
        max_length=64,
        required=False,
        label="New version label",
        validators=[version_label_validator],
        help_text="Semantic: MAJOR.MINOR.PATCH, e.g. 1.4.0. Needed for a new version.",
    )
    model = forms.CharField(
        max_length=200, required=False, help_text="Needed for a new version, e.g. gpt-4.1."
    )
    config_digest = forms.CharField(
        max_length=71,
        required=False,
        validators=[config_digest_validator],
        help_text="sha256: followed by 64 lowercase hex digits.",
    )
    declared_tools = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="The tools this version may call, separated by commas or new lines.",
    )
    changelog = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    service_field_aliases = {"label": "version"}
    # Not marked "(optional)": one of redeploy/version is needed, and a new version needs a model.
    unmarked_optional = ("redeploy", "version", "model")

    def __init__(self, *args, agent: Agent, **kwargs):
        super().__init__(*args, **kwargs)
        # The deployed version is left out: deploying it again would change nothing.
        labels = agent.versions.exclude(pk=agent.current_version_id).values_list("label", flat=True)
        self.fields["redeploy"].choices = [("", "— a new version —")] + [(x, x) for x in labels]

    def clean_declared_tools(self) -> list[str]:
        return split_list(self.cleaned_data["declared_tools"])

    def clean(self):
        data = super().clean()
        if data.get("redeploy") and data.get("version"):
            raise forms.ValidationError("Choose an existing version or give a new one, not both.")
        if not data.get("redeploy") and not data.get("version") and "version" not in self.errors:
            self.add_error("version", "Give a new version label, or choose one to redeploy.")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        if data["redeploy"]:
            return {"version": data["redeploy"], "reason": data["reason"]}
        return {
            field: data[field]
            for field in ("version", "model", "config_digest", "declared_tools", "changelog")
        } | {"reason": data["reason"]}


class ReasonForm(forms.Form):
    """Confirmation of a lifecycle action or a key revocation, with the reason why."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, reason_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if not reason_required:
            self.fields["reason"].help_text = "Optional."


class KeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="Where the key is used, e.g. prod-worker."
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The key stops working when this day begins ({tz}). Leave empty for the "
        "default of {days} days.",
    )
    never_expires = forms.BooleanField(required=False, label="Never expires")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["expires_on"]
        field.help_text = field.help_text.format(
            tz=timezone.get_current_timezone_name(), days=settings.AGENT_KEY_DEFAULT_TTL_DAYS
        )

    def clean(self):
        data = super().clean()
        if data.get("expires_on") and data.get("never_expires"):
            raise forms.ValidationError("Give an expiry date or tick 'never expires', not both.")
        return data

    def service_kwargs(self) -> dict:
        day = self.cleaned_data["expires_on"]
        expires_at = None
        if day is not None:
            expires_at = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
        return {
            "name": self.cleaned_data["name"],
            "expires_at": expires_at,
            "never_expires": self.cleaned_data["never_expires"],
        }


class KeyRotateForm(forms.Form):
    grace_minutes = forms.IntegerField(
        min_value=0,
        max_value=int(timedelta(days=7).total_seconds() // 60),
        initial=0,
        label="Grace period (minutes)",
        help_text="How long the old key keeps working, so a running agent can switch "
        "without a failed request. 0 revokes it now; at most one week (10080).",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

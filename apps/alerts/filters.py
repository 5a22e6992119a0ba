"""One filter set for the Alerts page and `GET /api/v1/alerts/`."""

import django_filters
from django import forms

from apps.alerts.models import Alert, AlertKind, AlertState, Severity
from apps.registry.models import Agent


class AlertFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AlertState.choices, empty_label="Firing and resolved")
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices, widget=forms.CheckboxSelectMultiple
    )
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, empty_label="Any kind")
    agent = django_filters.ModelChoiceFilter(
        queryset=Agent.objects.filter(alerts__isnull=False).distinct().order_by("slug"),
        to_field_name="slug",
        empty_label="Any agent",
    )

    class Meta:
        model = Alert
        fields = ["state", "severity", "kind", "agent"]

"""One filter set for the audit trail, shared by `GET /api/v1/events/` and the trail page.

Every filter is an equality, prefix or range on an indexed column, so a filtered page stays
fast on a large trail; free-text search is the one exception and says so.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from apps.audit.models import ActorType, EventStatus, EventType
from apps.registry.models import Agent

QUICK_RANGES = {
    "15m": ("Last 15 minutes", timedelta(minutes=15)),
    "1h": ("Last hour", timedelta(hours=1)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}


class AuditEventFilter(django_filters.FilterSet):
    agent = django_filters.CharFilter(method="by_agent", label="Agent (slug)")
    # distinct=False: the rows are unique already, and DISTINCT would sort every match.
    type = django_filters.MultipleChoiceFilter(choices=EventType.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=EventStatus.choices, distinct=False)
    name = django_filters.CharFilter(method="by_prefix", label="Name (prefix)")
    resource = django_filters.CharFilter(method="by_prefix", label="Resource (prefix)")
    trace_id = django_filters.CharFilter(field_name="trace_id", label="Trace id")
    action_id = django_filters.CharFilter(field_name="action_id", label="Action id")
    actor = django_filters.CharFilter(field_name="actor_label", label="Actor (username or agent:slug)")
    actor_type = django_filters.ChoiceFilter(choices=ActorType.choices, label="Actor type")
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="From")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label="Until")
    range = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in QUICK_RANGES.items()],
        method="in_last",
        label="Quick range",
    )
    q = django_filters.CharFilter(method="search", label="Search", widget=forms.TextInput)

    def by_agent(self, queryset, name, value):
        # The slug is looked up first so the database walks the (agent, time) index with a
        # known id; filtering through a join left it scanning the whole trail by time.
        agent_id = Agent.objects.filter(slug=value.strip()).values_list("pk", flat=True).first()
        return queryset.filter(agent_id=agent_id) if agent_id is not None else queryset.none()

    def by_prefix(self, queryset, name, value):
        return queryset.filter(**{f"{name}__startswith": value.strip()})

    def in_last(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=timezone.now() - QUICK_RANGES[value][1])

    def search(self, queryset, name, value):
        # A scan: combine it with an agent or time filter on a large trail.
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(resource__icontains=value)
            | Q(rationale__icontains=value)
            | Q(chosen__icontains=value)
        )

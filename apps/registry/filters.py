"""One filter set for the Agents page and `GET /api/v1/agents/`."""

import django_filters
from django.db.models import Q

from apps.accounts.models import User
from apps.registry.models import Agent, AgentStatus, Environment, RiskTier


class AgentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=AgentStatus.choices)
    risk_tier = django_filters.MultipleChoiceFilter(choices=RiskTier.choices, label="Risk tier")
    environment = django_filters.ChoiceFilter(choices=Environment.choices)
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(owned_agents__isnull=False).distinct(),
        to_field_name="username",
    )
    team = django_filters.CharFilter(field_name="team", lookup_expr="iexact")
    tag = django_filters.CharFilter(method="with_tag", label="Tag")

    class Meta:
        model = Agent
        fields = ["q", "status", "risk_tier", "environment", "owner", "team", "tag"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(slug__icontains=value)
            | Q(name__icontains=value)
            | Q(description__icontains=value)
            | Q(purpose__icontains=value)
            | Q(team__icontains=value)
        )

    def with_tag(self, queryset, name, value):
        # Tags are a JSON list; matching the quoted tag in its text form works on
        # SQLite and PostgreSQL alike without a join table.
        return queryset.filter(tags__icontains=f'"{value.strip().lower()}"')

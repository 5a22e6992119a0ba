import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.monitoring.demo import DEPLOYED_DAYS_AGO, DRIFTING, NEW_VERSION
from apps.monitoring.selectors import agent_deploys
from apps.registry.models import Agent

pytestmark = pytest.mark.django_db


def test_the_demo_incident_is_the_last_deploy_and_earlier_ones_precede_the_history():
    call_command("seed_demo")
    deploys = agent_deploys(Agent.objects.get(slug=DRIFTING))
    assert [label for _, label in deploys] == ["1.0.0", "1.1.0", NEW_VERSION]
    incident = deploys[-1][0]
    assert (timezone.now() - incident).days == DEPLOYED_DAYS_AGO
    for agent in Agent.objects.all():
        for when, label in agent_deploys(agent):
            if (agent.slug, label) != (DRIFTING, NEW_VERSION):
                assert when < incident, f"{agent.slug} {label} deployed after the incident"

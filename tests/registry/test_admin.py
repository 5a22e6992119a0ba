"""The registry in the Django admin: read-only, pointing to the pages that audit changes."""

import pytest
from django.urls import reverse

from apps.registry import services
from apps.registry.models import AgentKey


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["agent", "agentversion", "agentkey"])
def test_the_registry_admin_is_read_only_and_says_where_changes_happen(superuser_client, live_agent, model):
    response = superuser_client.get(reverse(f"admin:registry_{model}_changelist"))

    assert response.status_code == 200
    assert b"change agents, versions and keys from the Agents pages" in response.content
    assert superuser_client.get(reverse(f"admin:registry_{model}_add")).status_code == 403


def test_an_agent_cannot_be_changed_or_deleted_in_the_admin(superuser_client, live_agent):
    change_url = reverse("admin:registry_agent_change", args=[live_agent.pk])
    response = superuser_client.post(change_url, {"status": "retired", "name": "x"})
    delete_url = reverse("admin:registry_agent_delete", args=[live_agent.pk])

    assert response.status_code == 403
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    live_agent.refresh_from_db()
    assert (live_agent.status, live_agent.name) == ("active", "Payments bot")


def test_the_key_admin_does_not_show_the_hash(superuser_client, live_agent, admin):
    key, _raw = services.agent_key_create(agent=live_agent, actor=admin)
    page = superuser_client.get(reverse("admin:registry_agentkey_change", args=[key.pk]))

    assert page.status_code == 200
    assert AgentKey.objects.get(pk=key.pk).key_hash.encode() not in page.content

"""Registry pages through the Django test client: reading, registering, editing, deploying
and who may do what. Lifecycle and key pages are in test_views_lifecycle/_keys."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import Agent, AgentStatus, AgentVersion
from tests.factories import AgentFactory

NO_MANAGE_ROLES = ["viewer", "reviewer", "auditor"]


@pytest.fixture
def client_as(client, make_user):
    def login(*roles, user=None):
        client.force_login(user or make_user(*roles))
        return client

    return login


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def register_data(owner, **overrides):
    data = {
        "slug": "support-bot",
        "name": "Support bot",
        "description": "Answers tickets.",
        "purpose": "First-line support",
        "owner": owner.username,
        "team": "support",
        "risk_tier": "medium",
        "environment": "production",
        "tags": "customer-facing, tickets",
        "reason": "",
    }
    return data | overrides


def write_pages(agent):
    key, _raw = services.agent_key_create(agent=agent, actor=agent.owner, name="k")
    slug = agent.slug
    return [
        reverse("registry:agent_create"),
        reverse("registry:agent_edit", args=[slug]),
        reverse("registry:agent_deploy", args=[slug]),
        reverse("registry:key_create", args=[slug]),
        reverse("registry:key_revoke", args=[slug, key.prefix]),
        reverse("registry:key_rotate", args=[slug, key.prefix]),
        *(reverse("registry:agent_lifecycle", args=[slug, a]) for a in ("pause", "quarantine", "retire")),
    ]


# --- Reading ---------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("registry:agent_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_user_without_a_role_gets_a_friendly_403(client_as):
    response = client_as().get(reverse("registry:agent_list"))
    assert response.status_code == 403
    assert b"Your role does not allow this" in response.content
    assert b"you need a role" in response.content.lower()


def test_viewer_sees_the_agents_list_without_write_buttons(client_as, live_agent):
    response = client_as("viewer").get(reverse("registry:agent_list"))
    assert response.status_code == 200
    assert b"Payments bot" in response.content
    assert b"Register an agent" not in response.content


def test_agents_list_filters_by_status_tier_team_and_search(client_as, agent_factory):
    agent_factory(slug="alpha", name="Alpha", status=AgentStatus.ACTIVE, team="risk")
    agent_factory(slug="beta", name="Beta", status=AgentStatus.PAUSED, risk_tier="critical")
    viewer = client_as("viewer")

    by_status = viewer.get(reverse("registry:agent_list"), {"status": "paused"})
    by_tier = viewer.get(reverse("registry:agent_list"), {"risk_tier": ["low", "critical"]})
    by_team = viewer.get(reverse("registry:agent_list"), {"team": "RISK"})
    by_search = viewer.get(reverse("registry:agent_list"), {"q": "alp"})

    assert [a.slug for a in by_status.context["page"]] == ["beta"]
    assert [a.slug for a in by_tier.context["page"]] == ["beta"]
    assert [a.slug for a in by_team.context["page"]] == ["alpha"]
    assert [a.slug for a in by_search.context["page"]] == ["alpha"]


def test_agents_list_filters_by_tag_and_owner(client_as, make_user, agent_factory):
    owner = make_user(username="olga")
    agent_factory(slug="tagged", tags=["payments"], owner=owner)
    agent_factory(slug="untagged")
    viewer = client_as("viewer")

    by_tag = viewer.get(reverse("registry:agent_list"), {"tag": "payments"})
    by_owner = viewer.get(reverse("registry:agent_list"), {"owner": "olga"})

    assert [a.slug for a in by_tag.context["page"]] == ["tagged"]
    assert [a.slug for a in by_owner.context["page"]] == ["tagged"]


def test_agents_list_shows_25_per_page_and_keeps_filters_in_page_links(client_as, agent_factory):
    agent_factory.create_batch(30, team="ops")
    response = client_as("viewer").get(reverse("registry:agent_list"), {"team": "ops"})

    assert len(response.context["page"].object_list) == 25
    assert b"?team=ops&amp;page=2" in response.content
    second = client_as("viewer").get(reverse("registry:agent_list"), {"team": "ops", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_agents_list_has_an_empty_state_and_one_for_filters(client_as):
    viewer = client_as("viewer")
    assert b"No agents registered yet" in viewer.get(reverse("registry:agent_list")).content
    filtered = viewer.get(reverse("registry:agent_list"), {"q": "nothing"})
    assert b"No agent matches these filters" in filtered.content


def test_htmx_filter_request_gets_only_the_results_fragment(client_as, live_agent):
    response = client_as("viewer").get(
        reverse("registry:agent_list"), {"q": "payments"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b'id="agent-results"' in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_viewer_sees_an_agents_detail_with_history_versions_and_keys(client_as, live_agent):
    services.agent_key_create(agent=live_agent, actor=live_agent.owner, name="prod-worker")
    response = client_as("viewer").get(reverse("registry:agent_detail", args=["payments-bot"]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "agent.registered" in page and "agent.deployed" in page
    assert "gpt-4.1" in page and "1.0.0" in page
    assert "prod-worker" in page and "agk_" in page
    assert "Quarantine" not in page  # no lifecycle buttons for a viewer


def test_admin_sees_only_the_actions_the_status_allows(admin_client, live_agent):
    page = admin_client.get(reverse("registry:agent_detail", args=["payments-bot"])).content.decode()
    assert "/agents/payments-bot/pause/" in page
    assert "/agents/payments-bot/quarantine/" in page
    assert "/agents/payments-bot/resume/" not in page
    assert "/agents/payments-bot/release/" not in page


def test_unknown_agent_is_404(client_as):
    assert client_as("viewer").get("/agents/nobody/").status_code == 404


# --- Who may write ---------------------------------------------------------------------


@pytest.mark.parametrize("role", NO_MANAGE_ROLES)
def test_roles_without_manage_cannot_open_or_submit_any_write_page(client_as, role, live_agent):
    pages = write_pages(live_agent)
    before = AuditEvent.objects.count()
    browser = client_as(role)
    for url in pages:
        assert browser.get(url).status_code == 403, url
        assert browser.post(url, {"reason": "because", "name": "x"}).status_code == 403, url
    assert AuditEvent.objects.count() == before
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.ACTIVE


def test_viewer_cannot_quarantine_an_agent(client_as, live_agent):
    url = reverse("registry:agent_lifecycle", args=["payments-bot", "quarantine"])
    response = client_as("viewer").post(url, {"reason": "suspicious"})
    assert response.status_code == 403
    assert b"only the admin role" in response.content.lower()
    live_agent.refresh_from_db()
    assert live_agent.status == AgentStatus.ACTIVE


# --- Register and edit -----------------------------------------------------------------


def test_admin_registers_an_agent(admin_client, admin):
    response = admin_client.post(reverse("registry:agent_create"), register_data(admin))

    assert response.status_code == 302
    assert response.url == reverse("registry:agent_detail", args=["support-bot"])
    agent = Agent.objects.get(slug="support-bot")
    assert agent.status == AgentStatus.REGISTERED
    assert agent.tags == ["customer-facing", "tickets"]
    assert agent.created_by == admin
    assert AuditEvent.objects.filter(agent=agent, name="agent.registered").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"risk_tier": "extreme"}, "risk_tier"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"tags": "ok, Bad Tag!"}, "tags"),  # refused by the service, shown on the field
    ],
)
def test_register_refuses_bad_input_and_writes_nothing(admin_client, admin, overrides, field):
    response = admin_client.post(reverse("registry:agent_create"), register_data(admin, **overrides))

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert b"Nothing was changed" in response.content
    assert not Agent.objects.exists()
    assert not AuditEvent.objects.filter(name="agent.registered").exists()


def test_register_refuses_a_duplicate_slug(admin_client, admin, live_agent):
    data = register_data(admin, slug="payments-bot")
    response = admin_client.post(reverse("registry:agent_create"), data)

    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["slug"][0]
    assert Agent.objects.count() == 1


def test_admin_edits_an_agent_and_the_reason_is_recorded(admin_client, admin, live_agent):
    data = register_data(admin, name="Payments bot v2", risk_tier="critical", reason="new scope")
    del data["slug"]
    response = admin_client.post(reverse("registry:agent_edit", args=["payments-bot"]), data)

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert (live_agent.name, live_agent.risk_tier) == ("Payments bot v2", "critical")
    event = AuditEvent.objects.get(agent=live_agent, name="agent.updated")
    assert event.rationale == "new scope"
    assert event.data["changes"]["risk_tier"] == ["high", "critical"]


def test_edit_form_is_prefilled_without_the_slug(admin_client, live_agent):
    response = admin_client.get(reverse("registry:agent_edit", args=["payments-bot"]))
    form = response.context["form"]
    assert "slug" not in form.fields
    assert form.initial["name"] == "Payments bot"


def test_editing_a_retired_agent_is_refused(admin_client, admin, live_agent):
    services.agent_retire(agent=live_agent, actor=admin, reason="done")
    data = register_data(admin, name="Renamed")
    response = admin_client.post(reverse("registry:agent_edit", args=["payments-bot"]), data)

    assert response.status_code == 400
    assert "retired" in str(response.context["form"].non_field_errors())
    live_agent.refresh_from_db()
    assert live_agent.name == "Payments bot"


# --- Deploy ----------------------------------------------------------------------------


def test_admin_deploys_a_new_version(admin_client, live_agent):
    response = admin_client.post(
        reverse("registry:agent_deploy", args=["payments-bot"]),
        {"version": "1.1.0", "model": "gpt-4.1-mini", "declared_tools": "refund,\nlookup"},
    )

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert live_agent.current_version.label == "1.1.0"
    assert live_agent.current_version.declared_tools == ["lookup", "refund"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": "1.x", "model": "gpt-4.1"}, "version"),
        ({"version": "2.0.0"}, "model"),  # a new version needs its model (service refusal)
        ({"version": "1.0.0"}, "version"),  # already deployed
        ({"version": "2.0.0", "model": "m", "config_digest": "md5:abc"}, "config_digest"),
        ({}, "version"),
    ],
)
def test_deploy_refuses_bad_input_and_creates_no_version(admin_client, live_agent, data, field):
    events = AuditEvent.objects.count()
    response = admin_client.post(reverse("registry:agent_deploy", args=["payments-bot"]), data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert AgentVersion.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_admin_rolls_back_to_an_earlier_version(admin_client, admin, live_agent):
    services.agent_deploy(agent=live_agent, actor=admin, version="1.1.0", model="gpt-4.1")
    deploy_url = reverse("registry:agent_deploy", args=["payments-bot"])
    page = admin_client.get(deploy_url, {"redeploy": "1.0.0"})
    assert page.context["form"]["redeploy"].value() == "1.0.0"

    response = admin_client.post(deploy_url, {"redeploy": "1.0.0", "reason": "1.1.0 misroutes"})

    assert response.status_code == 302
    live_agent.refresh_from_db()
    assert live_agent.current_version.label == "1.0.0"
    event = AuditEvent.objects.filter(agent=live_agent).latest("occurred_at", "id")
    assert (event.name, event.rationale) == ("agent.rolled_back", "1.1.0 misroutes")


def test_deploying_a_retired_agent_is_refused(admin_client, admin):
    agent = AgentFactory(slug="old", status=AgentStatus.RETIRED, owner=admin)
    response = admin_client.post(
        reverse("registry:agent_deploy", args=[agent.slug]), {"version": "1.0.0", "model": "m"}
    )
    assert response.status_code == 400
    assert "retired" in str(response.context["form"].non_field_errors())
    assert not AgentVersion.objects.exists()

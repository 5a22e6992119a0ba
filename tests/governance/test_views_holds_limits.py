"""Holds and agent limits pages through the Django test client, per role."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.governance import services
from apps.governance.models import AgentLimits, ResourceHold

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as(client, make_user):
    def login(*roles, user=None):
        client.force_login(user or make_user(*roles))
        return client

    return login


@pytest.fixture
def hold(reviewer):
    return services.hold_create(actor=reviewer, pattern="service:payments*", reason="incident 7")


# --- Holds -----------------------------------------------------------------------------------------


def test_viewer_sees_active_holds_but_cannot_place_or_release_them(client_as, hold):
    client = client_as("viewer")
    response = client.get(reverse("governance:holds"))
    page = response.content.decode()
    assert "service:payments*" in page and "incident 7" in page and "rita" in page
    assert "Put resources on hold" not in page
    assert reverse("governance:hold_release", args=[hold.pk]) not in page
    assert client.post(reverse("governance:holds"), {"pattern": "db:*", "reason": "x"}).status_code == 403
    assert client.get(reverse("governance:hold_release", args=[hold.pk])).status_code == 403
    assert ResourceHold.objects.count() == 1


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_place_holds_with_an_optional_end(client_as, role):
    ends = (timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_as(role).post(
        reverse("governance:holds"),
        {"pattern": "db:prod/*", "reason": "migration", "ends_at": ends},
        follow=True,
    )
    hold = ResourceHold.objects.get()
    assert (hold.pattern, hold.reason) == ("db:prod/*", "migration") and hold.ends_at is not None
    assert "db:prod/* is on hold" in response.content.decode()


def test_a_refused_hold_is_a_form_error_and_nothing_is_written(client_as):
    client = client_as("reviewer")
    everything = client.post(reverse("governance:holds"), {"pattern": "*", "reason": "panic"})
    assert everything.status_code == 400
    assert "would stop the fleet" in everything.context["form"].errors["pattern"][0]
    past = client.post(
        reverse("governance:holds"), {"pattern": "db:*", "reason": "x", "ends_at": "2020-01-01T00:00"}
    )
    assert past.status_code == 400 and past.context["form"].errors["ends_at"] == [
        "the end must be in the future"
    ]
    assert not ResourceHold.objects.exists()


def test_a_reviewer_releases_a_hold_after_confirming_with_a_reason(client_as, hold):
    client = client_as("reviewer")
    confirm = client.get(reverse("governance:hold_release", args=[hold.pk]))
    assert confirm.status_code == 200 and "Release the hold on" in confirm.content.decode()
    empty = client.post(reverse("governance:hold_release", args=[hold.pk]), {"reason": ""})
    assert empty.status_code == 400
    hold.refresh_from_db()
    assert hold.released_at is None

    response = client.post(
        reverse("governance:hold_release", args=[hold.pk]), {"reason": "fixed"}, follow=True
    )
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.release_reason == "fixed"
    page = response.content.decode()
    assert "The hold on service:payments* is released." in page
    assert "No resource is on hold" in page and "fixed" in page  # now among the released


def test_an_admin_releases_their_own_hold_but_not_a_reviewers(client_as, hold, admin):
    client = client_as(user=admin)
    assert client.get(reverse("governance:hold_release", args=[hold.pk])).status_code == 403
    own = services.hold_create(actor=admin, pattern="db:*", reason="mine")
    assert (
        client.post(reverse("governance:hold_release", args=[own.pk]), {"reason": "done"}).status_code == 302
    )


def test_releasing_twice_says_it_was_already_released(client_as, hold, reviewer):
    services.hold_release(hold=hold, actor=reviewer, reason="done")
    response = client_as("reviewer").post(
        reverse("governance:hold_release", args=[hold.pk]), {"reason": "again"}
    )
    assert response.status_code == 400 and "already released" in response.content.decode()


# --- Limits ------------------------------------------------------------------------------------


def test_agent_page_shows_limits_and_todays_spend(client_as, agent, admin):
    services.agent_limits_set(
        agent=agent,
        actor=admin,
        resource_patterns=["service:*"],
        rate_limits=[{"action": "deploy", "max": 5, "per": "hour"}],
        daily_budget=Decimal("100"),
    )
    services.action_request(actor=agent, action="refund", resource="service:pay", params={"amount": 25})
    page = client_as("viewer").get(reverse("registry:agent_detail", args=[agent.slug])).content.decode()
    assert "service:*" in page and "at most 5 per hour" in page
    assert "25.00 of 100.00 spent or reserved today" in page
    assert reverse("governance:agent_limits", args=[agent.slug]) not in page


def test_agent_without_limits_says_so_and_admins_get_an_edit_link(client_as, agent):
    page = client_as("admin").get(reverse("registry:agent_detail", args=[agent.slug])).content.decode()
    assert "No limits" in page and reverse("governance:agent_limits", args=[agent.slug]) in page


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_only_admins_may_edit_limits(client_as, agent, role):
    url = reverse("governance:agent_limits", args=[agent.slug])
    client = client_as(role)
    assert client.get(url).status_code == 403
    assert client.post(url, {"resource_patterns": "x:*", "over_limit": "deny"}).status_code == 403
    assert not AgentLimits.objects.exists()


def test_admin_sets_limits_from_text(client_as, agent):
    url = reverse("governance:agent_limits", args=[agent.slug])
    response = client_as("admin").post(
        url,
        {
            "resource_patterns": "service:*\n\ngithub:acme/*\n",
            "rate_limits": "deploy 5/hour\n* 60 / minute",
            "daily_budget": "250.50",
            "budget_fields": "amount, cost_usd",
            "over_limit": "escalate",
        },
    )
    assert response.status_code == 302 and response.url == reverse("registry:agent_detail", args=[agent.slug])
    limits = AgentLimits.objects.get(agent=agent)
    assert limits.resource_patterns == ["service:*", "github:acme/*"]
    assert limits.rate_limits == [
        {"action": "deploy", "max": 5, "per": "hour"},
        {"action": "*", "max": 60, "per": "minute"},
    ]
    assert limits.daily_budget == Decimal("250.50") and limits.over_limit == "escalate"
    again = client_as("admin").get(url).context["form"]
    assert again["rate_limits"].value() == "deploy 5/hour\n* 60/minute"


def test_bad_limits_are_form_errors_and_nothing_is_written(client_as, agent):
    url = reverse("governance:agent_limits", args=[agent.slug])
    client = client_as("admin")
    rate = client.post(url, {"rate_limits": "deploy 5/day", "over_limit": "deny"})
    assert rate.status_code == 400
    assert "line 1 ('deploy 5/day')" in rate.context["form"].errors["rate_limits"][0]
    fields = client.post(url, {"budget_fields": "amount; drop table", "over_limit": "deny"})
    assert fields.status_code == 400 and "param names" in fields.context["form"].errors["budget_fields"][0]
    assert not AgentLimits.objects.exists()

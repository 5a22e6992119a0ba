"""Agent keys on agent-facing endpoints: `Authorization: Bearer <key>`."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.registry import services
from apps.registry.models import AgentKey

pytestmark = pytest.mark.django_db
ME = "/api/v1/agent/me/"


@pytest.fixture
def key(admin, live_agent):
    return services.agent_key_create(agent=live_agent, actor=admin)


def _get(raw_key: str | None, header: str | None = None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif raw_key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client.get(ME)


def test_a_valid_key_identifies_its_agent_and_marks_last_use(key):
    stored, raw_key = key
    response = _get(raw_key)
    assert response.status_code == 200
    assert response.json()["slug"] == "payments-bot"
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_last_use_is_written_at_most_once_per_window(key, settings):
    settings.AGENT_KEY_LAST_USED_RESOLUTION_SECONDS = 3600
    stored, raw_key = key
    _get(raw_key)
    first = AgentKey.objects.get(pk=stored.pk).last_used_at
    _get(raw_key)
    assert AgentKey.objects.get(pk=stored.pk).last_used_at == first


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "an agent key is required"),
        ("Bearer", "send the key as"),
        ("Bearer nonsense", "malformed agent key"),
        ("Bearer agk_zzzzzzzz_wrongsecret", "invalid agent key"),
    ],
)
def test_missing_or_bad_keys_get_401_with_a_clear_error(db, header, message):
    response = _get(None, header=header)
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_is_refused(key):
    _, raw_key = key
    response = _get(raw_key[:-4] + "AAAA")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid agent key"


def test_a_revoked_key_gets_401(admin, key):
    stored, raw_key = key
    services.agent_key_revoke(key=stored, actor=admin, reason="leaked")
    response = _get(raw_key)
    assert response.status_code == 401
    assert response.json()["error"] == f"agent key {stored.prefix} was revoked"


def test_an_expired_key_gets_401(key):
    stored, raw_key = key
    AgentKey.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(raw_key)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]


@pytest.mark.parametrize(("action", "word"), [("pause", "paused"), ("quarantine", "quarantined")])
def test_a_paused_or_quarantined_agents_key_gets_403(admin, live_agent, key, action, word):
    _, raw_key = key
    getattr(services, f"agent_{action}")(agent=live_agent, actor=admin, reason="incident")
    response = _get(raw_key)
    assert response.status_code == 403
    assert response.json()["error"].startswith(f"agent 'payments-bot' is {word}")


def test_a_retired_agents_key_gets_403_even_before_revocation_is_seen(admin, live_agent, key):
    _, raw_key = key
    services.agent_retire(agent=live_agent, actor=admin, reason="eol")
    response = _get(raw_key)
    assert response.status_code in (401, 403)
    assert "revoked" in response.json()["error"] or "retired" in response.json()["error"]


def test_a_rotated_key_keeps_working_only_during_its_grace(admin, key):
    stored, raw_key = key
    _, new_raw = services.agent_key_rotate(key=stored, actor=admin, grace_minutes=5)
    assert _get(raw_key).status_code == 200
    assert _get(new_raw).status_code == 200
    AgentKey.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _get(raw_key).status_code == 401
    assert _get(new_raw).status_code == 200


def test_a_staff_session_is_not_an_agent(api_as):
    response = api_as("admin").get(ME)
    assert response.status_code in (401, 403)


def test_the_key_read_returns_what_the_orm_returns(key, live_agent):
    from apps.registry.authentication import key_with_agent

    stored, _ = key
    AgentKey.objects.filter(pk=stored.pk).update(last_used_at=timezone.now())
    read = key_with_agent(stored.prefix)
    expected = AgentKey.objects.select_related("agent").get(pk=stored.pk)
    for model, got, want in ((AgentKey, read, expected), (type(live_agent), read.agent, expected.agent)):
        for field in model._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
    assert read.agent.tags == expected.agent.tags  # JSON decoded, as the ORM does
    assert read._state.adding is False and read.agent._state.db == "default"
    assert key_with_agent("agk_unknown0") is None


def test_an_agent_request_reads_key_and_agent_in_one_query(key, django_assert_num_queries, settings):
    settings.AGENT_KEY_LAST_USED_RESOLUTION_SECONDS = 3600
    _, raw_key = key
    assert _get(raw_key).status_code == 200  # writes last use
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    with django_assert_num_queries(1):  # the key and its agent; nothing else on a refused body
        assert client.post("/api/v1/events/", {}, format="json").status_code == 400


def test_a_pause_acts_on_the_very_next_request(admin, live_agent, key):
    """Nothing about a key or its agent is kept between requests: the kill switch is immediate."""
    _, raw_key = key
    assert _get(raw_key).status_code == 200
    services.agent_pause(agent=live_agent, actor=admin, reason="incident")
    assert _get(raw_key).status_code == 403
    services.agent_resume(agent=live_agent, actor=admin, reason="fixed")
    assert _get(raw_key).status_code == 200

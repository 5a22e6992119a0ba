"""Lifecycle services: every transition guarded, every change audited with who and why."""

import pytest
from django.core.exceptions import ValidationError

from agentgov.errors import ApplicationError, ConflictError
from apps.audit.models import AuditEvent
from apps.registry import services
from apps.registry.models import Agent, AgentStatus, AgentVersion

pytestmark = pytest.mark.django_db


def _events(agent):
    return list(AuditEvent.objects.filter(agent=agent).order_by("id").values_list("name", flat=True))


def test_register_creates_a_registered_agent_and_an_audit_event(admin):
    agent = services.agent_register(
        actor=admin,
        slug="code-review",
        name="Code review",
        owner=admin,
        risk_tier="medium",
        tags=["GitHub", "review", "github"],
        reason="new pilot",
    )
    assert agent.status == AgentStatus.REGISTERED
    assert agent.tags == ["github", "review"]
    event = AuditEvent.objects.get(agent=agent)
    assert (event.name, event.actor_user, event.rationale) == ("agent.registered", admin, "new pilot")
    assert event.data["agent"]["risk_tier"] == "medium"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("name", {"name": ""}),
        ("risk_tier", {"risk_tier": "extreme"}),
        ("slug", {"slug": "Not A Slug"}),
        ("environment", {"environment": "mars"}),
    ],
)
def test_register_refuses_bad_input_naming_the_field_and_writes_nothing(admin, field, overrides):
    fields = {"slug": "ok-agent", "name": "Ok", "owner": admin, "risk_tier": "low", **overrides}
    with pytest.raises(ValidationError) as refused:
        services.agent_register(actor=admin, **fields)
    assert field in refused.value.message_dict
    assert not Agent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_register_refuses_a_duplicate_slug(admin, live_agent):
    with pytest.raises(ApplicationError) as refused:
        services.agent_register(actor=admin, slug=live_agent.slug, name="Other", owner=admin, risk_tier="low")
    assert refused.value.field == "slug"
    assert Agent.objects.count() == 1


def test_register_refuses_a_malformed_tag(admin):
    with pytest.raises(ApplicationError, match="tag 'has space'") as refused:
        services.agent_register(
            actor=admin, slug="a", name="A", owner=admin, risk_tier="low", tags=["has space"]
        )
    assert refused.value.field == "tags"


def test_first_deploy_activates_the_agent_and_records_the_version(admin):
    agent = services.agent_register(actor=admin, slug="a", name="A", owner=admin, risk_tier="low")
    agent = services.agent_deploy(
        agent=agent,
        actor=admin,
        version="1.0.0",
        model="gpt-4.1",
        declared_tools=["github.comment", "github.read"],
        config_digest="sha256:" + "ab" * 32,
        changelog="first",
        reason="go live",
    )
    assert agent.status == AgentStatus.ACTIVE
    assert agent.current_version.label == "1.0.0"
    assert agent.current_version.deployed_at is not None
    assert _events(agent) == ["agent.registered", "agent.version_created", "agent.deployed"]
    deployed = AuditEvent.objects.get(agent=agent, name="agent.deployed")
    assert deployed.data == {
        "from_status": "registered",
        "to_status": "active",
        "from_version": None,
        "to_version": "1.0.0",
    }
    assert deployed.rationale == "go live"


def test_deploying_an_earlier_version_is_a_rollback(admin, live_agent):
    services.agent_deploy(agent=live_agent, actor=admin, version="1.1.0", model="gpt-4.1")
    agent = services.agent_deploy(agent=live_agent, actor=admin, version="1.0.0", reason="1.1.0 loops")
    assert agent.current_version.label == "1.0.0"
    rollback = AuditEvent.objects.filter(agent=agent).latest("id")
    assert rollback.name == "agent.rolled_back"
    assert rollback.data["from_version"] == "1.1.0"
    assert AgentVersion.objects.filter(agent=agent).count() == 2


def test_deploy_refuses_a_malformed_version_label_and_leaves_nothing(admin, live_agent):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.agent_deploy(agent=live_agent, actor=admin, version="1.x", model="gpt-4.1")
    assert "label" in refused.value.message_dict
    assert live_agent.versions.count() == 1
    assert AuditEvent.objects.count() == before


def test_deploy_of_an_unknown_version_without_a_model_is_refused(admin, live_agent):
    with pytest.raises(ApplicationError, match="give its model") as refused:
        services.agent_deploy(agent=live_agent, actor=admin, version="2.0.0")
    assert refused.value.field == "model"


def test_redeploying_a_known_label_with_different_fields_is_refused(admin, live_agent):
    with pytest.raises(ApplicationError, match="already exists with a different model"):
        services.agent_deploy(agent=live_agent, actor=admin, version="1.0.0", model="other-model")


def test_deploying_the_current_version_again_is_refused(admin, live_agent):
    with pytest.raises(ConflictError, match="already deployed"):
        services.agent_deploy(agent=live_agent, actor=admin, version="1.0.0")


def test_deploy_while_paused_keeps_the_agent_paused(admin, live_agent):
    services.agent_pause(agent=live_agent, actor=admin, reason="incident")
    agent = services.agent_deploy(agent=live_agent, actor=admin, version="1.0.1", model="gpt-4.1")
    assert agent.status == AgentStatus.PAUSED
    assert agent.current_version.label == "1.0.1"


def test_pause_resume_quarantine_release_retire_walk(admin, live_agent):
    agent = services.agent_pause(agent=live_agent, actor=admin, reason="maintenance")
    assert agent.status == AgentStatus.PAUSED
    agent = services.agent_resume(agent=agent, actor=admin)
    assert agent.status == AgentStatus.ACTIVE
    agent = services.agent_quarantine(agent=agent, actor=admin, reason="leaked data")
    assert agent.status == AgentStatus.QUARANTINED
    agent = services.agent_release(agent=agent, actor=admin, reason="fixed")
    assert agent.status == AgentStatus.PAUSED, "a released agent must be resumed deliberately"
    agent = services.agent_retire(agent=agent, actor=admin, reason="replaced")
    assert agent.status == AgentStatus.RETIRED
    assert _events(agent)[-5:] == [
        "agent.paused",
        "agent.resumed",
        "agent.quarantined",
        "agent.released",
        "agent.retired",
    ]
    quarantined = AuditEvent.objects.get(agent=agent, name="agent.quarantined")
    assert (quarantined.actor_label, quarantined.rationale) == (admin.username, "leaked data")


@pytest.mark.parametrize("action", ["pause", "quarantine", "release", "retire"])
def test_a_reason_is_required_for(admin, live_agent, action):
    if action == "release":
        services.agent_quarantine(agent=live_agent, actor=admin, reason="x")
    service = getattr(services, f"agent_{action}")
    with pytest.raises(ApplicationError, match="a reason is required") as refused:
        service(agent=live_agent, actor=admin, reason="  ")
    assert refused.value.field == "reason"


@pytest.mark.parametrize("action", ["deploy", "pause", "resume", "quarantine", "release", "retire"])
def test_every_transition_from_retired_is_refused(admin, live_agent, action):
    services.agent_retire(agent=live_agent, actor=admin, reason="end of life")
    before = AuditEvent.objects.count()
    service = getattr(services, f"agent_{action}")
    kwargs = {"version": "9.0.0", "model": "m"} if action == "deploy" else {"reason": "try"}
    with pytest.raises(ConflictError, match="retirement is final") as refused:
        service(agent=live_agent, actor=admin, **kwargs)
    assert refused.value.field == "status"
    assert AuditEvent.objects.count() == before
    assert Agent.objects.get(pk=live_agent.pk).status == AgentStatus.RETIRED


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("resume", "resume is allowed only from paused"),
        ("release", "release is allowed only from quarantined"),
    ],
)
def test_illegal_transitions_name_the_rule(admin, live_agent, action, message):
    with pytest.raises(ConflictError, match=message):
        getattr(services, f"agent_{action}")(agent=live_agent, actor=admin, reason="why not")


def test_retire_revokes_every_key(admin, live_agent):
    first, _ = services.agent_key_create(agent=live_agent, actor=admin)
    second, _ = services.agent_key_create(agent=live_agent, actor=admin)
    services.agent_retire(agent=live_agent, actor=admin, reason="decommissioned")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_revoked and second.is_revoked
    assert first.revoke_reason == "agent retired: decommissioned"


def test_update_records_a_diff_and_refuses_slug_changes(admin, live_agent, make_user):
    new_owner = make_user("viewer")
    agent = services.agent_update(
        agent=live_agent, actor=admin, team="payments", owner=new_owner, reason="reorg"
    )
    event = AuditEvent.objects.filter(agent=agent).latest("id")
    assert event.name == "agent.updated"
    assert event.data["changes"]["team"] == ["", "payments"]
    assert event.data["changes"]["owner"] == [admin.username, new_owner.username]
    with pytest.raises(ApplicationError) as refused:
        services.agent_update(agent=agent, actor=admin, slug="renamed")
    assert refused.value.field == "slug"


def test_update_without_changes_writes_no_event(admin, live_agent):
    before = AuditEvent.objects.count()
    services.agent_update(agent=live_agent, actor=admin, name=live_agent.name)
    assert AuditEvent.objects.count() == before


def test_a_slug_that_a_page_uses_is_refused(admin):
    with pytest.raises(ApplicationError, match="reserved") as refused:
        services.agent_register(actor=admin, slug="new", name="New", owner=admin, risk_tier="low")
    assert refused.value.field == "slug"

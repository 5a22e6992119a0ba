"""Publishing policy versions, the YAML command, and simulation of a draft."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from agentgov.errors import ApplicationError, PermissionRefused
from apps.audit.models import AuditEvent
from apps.governance import services
from apps.governance.models import ActionRequest, PolicyVersion
from apps.governance.policy import PolicyInvalid

pytestmark = pytest.mark.django_db
ALLOW_DEPLOYS = {"name": "deploys", "action": "deploy", "effect": "allow"}


def test_every_save_is_a_new_version_with_its_diff_audited(publish, admin):
    first = publish([ALLOW_DEPLOYS], comment="start")
    second = publish([{**ALLOW_DEPLOYS, "effect": "deny"}], comment="freeze")
    assert (first.number, second.number, second.author, second.comment) == (1, 2, admin, "freeze")
    assert "-  effect: allow" in second.diff and "+  effect: deny" in second.diff
    event = AuditEvent.objects.get(name="policy.published", resource="policy:v2")
    assert event.data["diff"] == second.diff and event.rationale == "freeze"


def test_publishing_refuses_non_admins_bad_rules_and_no_change(publish, make_user):
    publish([ALLOW_DEPLOYS])
    with pytest.raises(PermissionRefused):
        services.policy_publish(actor=make_user("reviewer"), document={"rules": []})
    with pytest.raises(PolicyInvalid) as caught:
        publish([ALLOW_DEPLOYS, {"name": "x", "effect": "nope"}])
    assert caught.value.field == "rules[1].effect"
    with pytest.raises(ApplicationError, match="nothing changed since version 1"):
        publish([ALLOW_DEPLOYS])
    assert PolicyVersion.objects.count() == 1


def test_yaml_import_check_and_export_through_the_command(admin, tmp_path, capsys):
    path = tmp_path / "policy.yaml"
    path.write_text("rules:\n  - name: deploys\n    action: deploy\n    effect: allow\n")
    call_command("policy", "check", str(path))
    call_command("policy", "import", str(path), "--user", admin.username, "--comment", "from review")
    assert PolicyVersion.objects.get().comment == "from review"
    out = tmp_path / "out.yaml"
    call_command("policy", "export", "--file", str(out))
    assert "name: deploys" in out.read_text() and out.read_text().startswith("# agentgov policy v1")
    path.write_text("rules:\n  - name: bad\n    effect: maybe\n")
    with pytest.raises(CommandError, match=r"rule 1 \('bad'\): effect must be one of"):
        call_command("policy", "check", str(path))


def test_simulation_counts_and_shows_the_decisions_that_would_change(publish, ask, agent, admin):
    publish([ALLOW_DEPLOYS])
    for _ in range(3):
        ask("deploy")
    ask("restart")  # tier default: escalated
    old = ask("deploy")
    ActionRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    services.agent_limits_set(agent=agent, actor=admin, resource_patterns=["service:*"])
    ask("deploy", "db:prod")  # denied by the scope limit: no policy can change it
    draft = {
        "rules": [
            {"name": "no-deploys", "action": "deploy", "effect": "deny"},
            {"name": "restarts", "action": "restart", "effect": "allow"},
        ]
    }
    result = services.policy_simulate(document=draft, days=7, examples=2)
    assert result.total == 5
    assert result.current == {"allow": 3, "require_approval": 1, "deny": 1}
    assert result.draft == {"deny": 4, "allow": 1}
    assert result.changed == 4
    assert result.transitions == {"allow→deny": 3, "require_approval→allow": 1}
    assert len(result.examples) == 2 and result.examples[0]["after_rule"] in ("no-deploys", "restarts")


def test_simulation_refuses_a_bad_draft_naming_the_rule():
    with pytest.raises(PolicyInvalid, match="rule 1"):
        services.policy_simulate(document="rules:\n  - name: x\n    effect: perhaps\n")

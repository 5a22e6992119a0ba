"""Policy pages through the Django test client: reading rules and versions, editing YAML
(admins), validation errors next to the field, downloads, simulation and publishing."""

import pytest
import yaml
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.governance import services
from apps.governance.models import PolicyVersion

pytestmark = pytest.mark.django_db

DEPLOYS = [{"name": "prod-deploys", "action": "deploy", "effect": "require_approval", "approvers": 2}]
GOOD_YAML = """holds: escalate
rules:
- name: prod-deploys
  action: deploy
  effect: require_approval
  approvers: 2
- name: reads
  action: "*.read"
  effect: allow
"""


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


def test_viewer_reads_the_rules_and_history_but_sees_no_edit_button(client_as, publish):
    publish(DEPLOYS, comment="first")
    response = client_as("viewer").get(reverse("governance:policies"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "prod-deploys" in page and "2 approval(s) (reviewer), expires in 60 min" in page
    assert "Version 1" in page and "first" in page
    assert reverse("governance:policy_edit") not in page
    assert reverse("governance:policy_download", args=[1]) in page


def test_without_a_policy_the_page_explains_the_tier_defaults(client_as):
    page = client_as("viewer").get(reverse("governance:policies")).content.decode()
    assert "Only the tier defaults apply" in page and "tier-" not in page.split("When no rule matches")[0]


@pytest.mark.parametrize("role", ["viewer", "reviewer", "auditor"])
def test_only_admins_may_edit_the_policy(client_as, role):
    client = client_as(role)
    assert client.get(reverse("governance:policy_edit")).status_code == 403
    response = client.post(reverse("governance:policy_edit"), {"yaml": GOOD_YAML, "comment": "sneaky"})
    assert response.status_code == 403
    assert not PolicyVersion.objects.exists()


def test_admin_publishes_a_new_version_and_sees_its_diff(admin_client, publish):
    publish(DEPLOYS)
    form = admin_client.get(reverse("governance:policy_edit"))
    assert "prod-deploys" in form.context["form"]["yaml"].value()

    response = admin_client.post(
        reverse("governance:policy_edit"), {"yaml": GOOD_YAML, "comment": "reads need nobody"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("governance:policy_version", args=[2])
    version = PolicyVersion.objects.get(number=2)
    assert version.comment == "reads need nobody" and [r["name"] for r in version.rules] == [
        "prod-deploys",
        "reads",
    ]
    page = response.content.decode()
    assert "Policy version 2 is in force from now on." in page
    assert '<span class="diff-add">+- name: reads</span>' in page
    assert AuditEvent.objects.filter(name="policy.published", resource="policy:v2").exists()


def test_a_bad_rule_is_named_next_to_the_yaml_and_nothing_is_saved(admin_client):
    bad = GOOD_YAML.replace("effect: allow", "effect: maybe")
    response = admin_client.post(reverse("governance:policy_edit"), {"yaml": bad, "comment": "oops"})
    assert response.status_code == 400
    errors = response.context["form"].errors["yaml"]
    assert errors == ["rule 2 ('reads'): effect must be one of allow, deny, require_approval"]
    assert 'id="id_yaml_error1"' in response.content.decode()
    assert not PolicyVersion.objects.exists()


def test_broken_yaml_says_where(admin_client):
    response = admin_client.post(reverse("governance:policy_edit"), {"yaml": "rules: [\n", "comment": "x"})
    assert response.status_code == 400
    assert "not valid YAML at line" in response.context["form"].errors["yaml"][0]


def test_a_save_needs_a_comment_and_a_change(admin_client, publish):
    version = publish(DEPLOYS)
    response = admin_client.post(reverse("governance:policy_edit"), {"yaml": GOOD_YAML, "comment": ""})
    assert response.status_code == 400 and "comment" in response.context["form"].errors
    from apps.governance.policy import policy_to_yaml

    same = admin_client.post(
        reverse("governance:policy_edit"), {"yaml": policy_to_yaml(version.document), "comment": "again"}
    )
    assert same.status_code == 400
    assert same.context["form"].errors["yaml"] == ["nothing changed since version 1"]
    assert PolicyVersion.objects.count() == 1


def test_download_gives_the_yaml_of_a_version_and_of_the_one_in_force(client_as, publish):
    publish(DEPLOYS)
    client = client_as("viewer")
    response = client.get(reverse("governance:policy_download", args=[1]))
    assert response["Content-Disposition"] == 'attachment; filename="policy-v1.yaml"'
    assert yaml.safe_load(response.content)["rules"][0]["name"] == "prod-deploys"
    current = client.get(reverse("governance:policy_download_current"))
    assert current.content == response.content
    assert client.get(reverse("governance:policy_download", args=[9])).status_code == 404


def test_version_page_links_neighbours_and_marks_superseded_versions(client_as, publish):
    publish(DEPLOYS)
    publish([*DEPLOYS, {"name": "reads", "action": "*.read", "effect": "allow"}])
    page = client_as("viewer").get(reverse("governance:policy_version", args=[1])).content.decode()
    assert "superseded" in page and reverse("governance:policy_version", args=[2]) in page


# --- Simulation ----------------------------------------------------------------------------------


def test_simulation_shows_counts_and_the_decisions_that_would_change(client_as, ask, publish):
    ask("deploy")  # high tier, no rule: escalated
    ask("db.read")  # escalated too
    response = client_as("viewer").post(
        reverse("governance:policy_simulate"), {"yaml": GOOD_YAML, "days": 7, "run": "1"}
    )
    assert response.status_code == 200
    simulation = response.context["simulation"]
    assert simulation.total == 2 and simulation.changed == 1
    rows = {row.verdict: (row.current, row.draft) for row in response.context["rows"]}
    assert rows == {"allow": (0, 1), "require_approval": (2, 1), "deny": (0, 0)}
    page = response.content.decode()
    assert "1 escalated → allowed" in page and "db.read" in page
    assert not PolicyVersion.objects.exists()  # simulating writes nothing


def test_simulation_form_starts_from_the_policy_in_force(client_as, publish):
    publish(DEPLOYS)
    form = client_as("viewer").get(reverse("governance:policy_simulate")).context["form"]
    assert "prod-deploys" in form["yaml"].value() and form["days"].value() == 7


def test_a_bad_draft_or_day_count_is_a_form_error(client_as):
    client = client_as("viewer")
    bad = client.post(
        reverse("governance:policy_simulate"), {"yaml": "rules: [{name: x}]", "days": 7, "run": "1"}
    )
    assert (
        bad.status_code == 400
        and "rule 1 ('x'): effect must be one of" in bad.context["form"].errors["yaml"][0]
    )
    days = client.post(reverse("governance:policy_simulate"), {"yaml": GOOD_YAML, "days": 400, "run": "1"})
    assert days.status_code == 400 and "days" in days.context["form"].errors


def test_only_admins_publish_from_the_simulation_and_only_with_a_comment(client_as, admin):
    data = {"yaml": GOOD_YAML, "days": 7, "comment": "go", "publish": "1"}
    assert client_as("viewer").post(reverse("governance:policy_simulate"), data).status_code == 403
    assert not PolicyVersion.objects.exists()

    admin_client = client_as(user=admin)
    silent = admin_client.post(reverse("governance:policy_simulate"), data | {"comment": ""})
    assert silent.status_code == 400 and "say what changed" in silent.context["form"].errors["comment"][0]
    assert not PolicyVersion.objects.exists()

    published = admin_client.post(reverse("governance:policy_simulate"), data)
    assert published.status_code == 302
    assert PolicyVersion.objects.get().comment == "go"


def test_viewer_does_not_see_the_publish_part_of_the_simulation(client_as, admin):
    url = reverse("governance:policy_simulate")
    assert "Publish this draft" not in client_as("viewer").get(url).content.decode()
    assert "Publish this draft" in client_as(user=admin).get(url).content.decode()


def test_publishing_through_services_is_what_the_page_shows(client_as, admin):
    services.policy_publish(actor=admin, document=GOOD_YAML, comment="yaml import")
    page = client_as("viewer").get(reverse("governance:policies")).content.decode()
    assert "yaml import" in page and "reads" in page

"""The policy pages: rules in force, YAML editing (a new version per save), version history
with diffs, downloads, and simulation of a draft against recorded requests."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from agentgov.forms import call_service
from apps.accounts.access import REFUSALS, require
from apps.accounts.roles import Capability, user_can
from apps.governance import selectors, services
from apps.governance.forms import PolicyForm, SimulationForm
from apps.governance.models import PolicyVersion, Verdict
from apps.governance.policy import TIER_DEFAULTS, policy_to_yaml
from apps.governance.policy.engine import DEFAULT_EXPIRY_MINUTES
from apps.governance.views.common import GET_POST, form_page, posted

VERSIONS_PAGE_SIZE = 20
EMPTY_DOCUMENT = {"holds": "escalate", "rules": []}
VERDICT_ORDER = (Verdict.ALLOW, Verdict.ESCALATE, Verdict.DENY)


@dataclass(frozen=True)
class RuleRow:
    number: int
    name: str
    agent: str
    action: str
    resource: str
    conditions: list[str]
    effect: str
    approval: str  # "2 approvals (reviewer), expires in 120 min" for require_approval rules
    reason: str


def _condition(raw: dict) -> str:
    return f"{raw.get('path')} {raw.get('op')} {raw.get('value')!r}" if isinstance(raw, dict) else str(raw)


def rule_rows(document: dict) -> list[RuleRow]:
    """A stored (validated) document's rules, as the table shows them."""
    rows = []
    for number, rule in enumerate(document.get("rules", []), start=1):
        approval = ""
        if rule.get("effect") == "require_approval":
            approval = (
                f"{rule.get('approvers', 1)} approval(s) ({rule.get('approver_role', 'reviewer')}), "
                f"expires in {rule.get('expires_in_minutes', DEFAULT_EXPIRY_MINUTES)} min"
            )
        rows.append(
            RuleRow(
                number=number,
                name=rule.get("name", ""),
                agent=rule.get("agent", "any"),
                action=rule.get("action", "*"),
                resource=rule.get("resource", "*"),
                conditions=[_condition(c) for c in rule.get("when", [])],
                effect=rule.get("effect", ""),
                approval=approval,
                reason=rule.get("reason", ""),
            )
        )
    return rows


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """(css modifier, line) for a unified diff, so additions and removals stand out."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = {"+": "add", "-": "del"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


def _current_yaml() -> str:
    current = selectors.policy_current()
    return policy_to_yaml(current.document if current else EMPTY_DOCUMENT)


@require(Capability.VIEW)
def policy_overview(request):
    current = selectors.policy_current()
    context = {
        "current": current,
        "rules": rule_rows(current.document) if current else [],
        "tier_defaults": list(TIER_DEFAULTS.items()),
        "versions": Paginator(selectors.policy_versions(), VERSIONS_PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "governance/policies.html", context)


def _version(number: int) -> PolicyVersion:
    return get_object_or_404(selectors.policy_versions(), number=number)


@require(Capability.VIEW)
def policy_version(request, number: int):
    version = _version(number)
    versions = selectors.policy_versions()
    context = {
        "version": version,
        "rules": rule_rows(version.document),
        "diff": diff_lines(version.diff),
        "is_current": not versions.filter(number__gt=number).exists(),
        "previous": versions.filter(number__lt=number).values_list("number", flat=True).first(),
        "next": versions.filter(number__gt=number)
        .order_by("number")
        .values_list("number", flat=True)
        .first(),
    }
    return render(request, "governance/policy_version.html", context)


@require(Capability.VIEW)
def policy_download(request, number: int | None = None):
    """The YAML of one version (or the one in force), to keep in code review."""
    if number is None:
        current = selectors.policy_current()
        document, name = (
            (current.document, f"policy-v{current.number}.yaml")
            if current
            else (EMPTY_DOCUMENT, "policy.yaml")
        )
    else:
        version = _version(number)
        document, name = version.document, f"policy-v{version.number}.yaml"
    response = HttpResponse(policy_to_yaml(document), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _published(request, version: PolicyVersion):
    messages.success(request, f"Policy version {version.number} is in force from now on.")
    return redirect("governance:policy_version", number=version.number)


@require(Capability.MANAGE)
@GET_POST
def policy_edit(request):
    form = PolicyForm(posted(request), initial={"yaml": _current_yaml()})
    if request.method == "POST" and form.is_valid():
        version = call_service(
            form,
            services.policy_publish,
            actor=request.user,
            document=form.cleaned_data["yaml"],
            comment=form.cleaned_data["comment"],
        )
        if version is not None:
            return _published(request, version)
    return form_page(
        request, "governance/policy_edit.html", {"form": form, "current": selectors.policy_current()}
    )


@dataclass(frozen=True)
class VerdictCount:
    verdict: str
    label: str
    current: int
    draft: int

    @property
    def delta(self) -> int:
        return self.draft - self.current


def _simulation_rows(simulation) -> list[VerdictCount]:
    return [
        VerdictCount(v.value, v.label, simulation.current.get(v.value, 0), simulation.draft.get(v.value, 0))
        for v in VERDICT_ORDER
    ]


def _transitions(simulation) -> list[tuple[str, str, int]]:
    labels = dict(Verdict.choices)
    rows = []
    for key, count in simulation.transitions.most_common():
        before, _, after = key.partition("→")
        rows.append((labels.get(before, before), labels.get(after, after), count))
    return rows


@require(Capability.VIEW)
@GET_POST
def policy_simulate(request):
    """Replay a draft over recorded requests (anyone may: it only reads); admins publish it."""
    form = SimulationForm(posted(request), initial={"yaml": _current_yaml(), "days": 7})
    context = {"form": form, "simulation": None}
    publishing = request.method == "POST" and "publish" in request.POST
    if publishing and not user_can(request.user, Capability.MANAGE):
        raise PermissionDenied(REFUSALS[Capability.MANAGE])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if publishing:
            if not data["comment"].strip():
                form.add_error("comment", "say what changed and why: every version keeps a comment")
            else:
                version = call_service(
                    form,
                    services.policy_publish,
                    actor=request.user,
                    document=data["yaml"],
                    comment=data["comment"],
                )
                if version is not None:
                    return _published(request, version)
        else:
            simulation = call_service(
                form, services.policy_simulate, document=data["yaml"], days=data["days"]
            )
            if simulation is not None:
                context |= {
                    "simulation": simulation,
                    "rows": _simulation_rows(simulation),
                    "transitions": _transitions(simulation),
                }
    refused = request.method == "POST" and bool(form.errors)
    return form_page(request, "governance/policy_simulate.html", context, refused=refused)

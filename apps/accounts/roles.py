"""Roles are Django groups; what each role may do is declared here, once.

Separation of duties is deliberate: an admin configures the fleet but does not approve
actions or export evidence unless also given the reviewer or auditor role. Superusers
may do everything.
"""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Capability(StrEnum):
    VIEW = "view"  # read every page and endpoint
    DECIDE_APPROVALS = "decide_approvals"
    EXPORT_AUDIT = "export_audit"
    HANDLE_ALERTS = "handle_alerts"  # acknowledge and silence alerts (channels and rules: MANAGE)
    MANAGE = "manage"  # agents, keys, policies, users


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.VIEWER: frozenset({Capability.VIEW}),
    Role.REVIEWER: frozenset({Capability.VIEW, Capability.DECIDE_APPROVALS, Capability.HANDLE_ALERTS}),
    Role.AUDITOR: frozenset({Capability.VIEW, Capability.EXPORT_AUDIT}),
    Role.ADMIN: frozenset({Capability.VIEW, Capability.MANAGE, Capability.HANDLE_ALERTS}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.VIEWER: "Reads everything.",
    Role.REVIEWER: "Reads everything, decides approval requests, acknowledges and silences alerts.",
    Role.AUDITOR: "Reads everything and exports the audit trail.",
    Role.ADMIN: "Reads everything, manages agents, keys, policies, users and alert channels, handles alerts.",
}


def _is_person(user) -> bool:
    from apps.accounts.models import User

    return isinstance(user, User) and user.is_authenticated and user.is_active


def user_roles(user) -> frozenset[Role]:
    if not _is_person(user):
        return frozenset()
    cached = getattr(user, "_agentgov_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._agentgov_roles = cached
    return cached


def user_capabilities(user) -> frozenset[Capability]:
    if not _is_person(user):
        return frozenset()
    if user.is_superuser:
        return frozenset(Capability)
    granted: set[Capability] = set()
    for role in user_roles(user):
        granted |= ROLE_CAPABILITIES[role]
    return frozenset(granted)


def user_can(user, capability: Capability) -> bool:
    return capability in user_capabilities(user)


def role_group(role: Role | str):
    """The Django group that holds a role (created by a data migration; recreated if missing)."""
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=Role(role).value)[0]

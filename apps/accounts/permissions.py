"""DRF permission classes: one per capability, plus the default read/manage split."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.accounts.roles import Capability, user_can


class _HasCapability(BasePermission):
    capability: Capability
    message = "your role does not allow this"

    def has_permission(self, request, view) -> bool:
        return user_can(request.user, self.capability)


class CanView(_HasCapability):
    capability = Capability.VIEW
    message = "you need a role (viewer, reviewer, auditor or admin) to read this"


class CanManage(_HasCapability):
    capability = Capability.MANAGE
    message = "only the admin role may change agents, keys, policies and users"


class CanDecideApprovals(_HasCapability):
    capability = Capability.DECIDE_APPROVALS
    message = "only the reviewer role may decide approval requests"


class CanExportAudit(_HasCapability):
    capability = Capability.EXPORT_AUDIT
    message = "only the auditor role may export the audit trail"


class CanHandleAlerts(_HasCapability):
    capability = Capability.HANDLE_ALERTS
    message = "only the reviewer and admin roles may acknowledge or silence alerts"


class StaffReadOrManage(BasePermission):
    """Default for staff endpoints: every role reads, only admins write."""

    def has_permission(self, request, view) -> bool:
        needed = CanView if request.method in SAFE_METHODS else CanManage
        checker = needed()
        self.message = checker.message
        return checker.has_permission(request, view)

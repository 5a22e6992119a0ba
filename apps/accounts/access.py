"""Role checks for page views: one decorator, so no view repeats the rule."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from apps.accounts.permissions import CanDecideApprovals, CanExportAudit, CanHandleAlerts, CanManage, CanView
from apps.accounts.roles import Capability, user_can

# The API's refusal messages, so a person reads the same reason in both places.
REFUSALS: dict[Capability, str] = {
    cls.capability: cls.message
    for cls in (CanView, CanManage, CanDecideApprovals, CanExportAudit, CanHandleAlerts)
}


def require(capability: Capability) -> Callable:
    """Sign-in first (redirect to login), then the capability (friendly 403 page).

    Checked on every method, GET included: a form the user may not submit is not shown.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def checked(request, *args, **kwargs):
            if not user_can(request.user, capability):
                raise PermissionDenied(REFUSALS[capability])
            return view(request, *args, **kwargs)

        return checked

    return decorator

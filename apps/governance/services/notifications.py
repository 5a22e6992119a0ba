"""Telling reviewers: an email when a request arrives, and a warning before it expires."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import Q

from apps.accounts.models import User
from apps.accounts.roles import Capability, Role, user_can
from apps.governance.models import ActionRequest


def reviewers_for(request: ActionRequest) -> list[User]:
    """People who may decide this request and have an email address."""
    role = request.approver_role or Role.REVIEWER.value
    candidates = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(groups__name=role) | Q(is_superuser=True))
        .distinct()
    )
    return [user for user in candidates if user_can(user, Capability.DECIDE_APPROVALS)]


def review_link(request: ActionRequest) -> str:
    from apps.governance.selectors import review_path

    return settings.AGENTGOV_BASE_URL.rstrip("/") + review_path(request)


def reviewers_notify(*, request: ActionRequest, warning: bool = False) -> int:
    """Email every reviewer of the request; returns how many were sent."""
    if not request.is_pending:
        return 0
    agent = request.agent
    head = f"{agent.slug} ({agent.risk_tier}) asks to {request.action} on {request.resource}"
    if warning:
        subject = f"[agentgov] Expiring soon: {head}"
        opening = f"This request expires at {request.expires_at:%Y-%m-%d %H:%M} UTC and is then denied."
    else:
        subject = f"[agentgov] Approval needed: {head}"
        opening = (
            f"A request needs {request.approvals_required} approval(s) before {request.expires_at:%H:%M} UTC."
        )
    body = (
        f"{opening}\n\nWhy it waits: {request.reason}\nAgent's rationale: {request.rationale or '-'}\n\n"
        f"Review it: {review_link(request)}\n"
    )
    messages = [
        (subject[:200], body, settings.DEFAULT_FROM_EMAIL, [user.email]) for user in reviewers_for(request)
    ]
    return send_mass_mail(messages, fail_silently=False) if messages else 0

"""What the overview page reads from monitoring, alerts and approvals: one selector each,
so the overview stays a thin view."""

from django.apps import apps

from apps.alerts.models import Alert, AlertState


def firing_alerts_count() -> int:
    return Alert.objects.filter(state=AlertState.FIRING).count()


def pending_approvals_count() -> int | None:
    """Approvals waiting for a decision; None until apps.governance has an approval model
    (the overview then shows "—"). The lead wires governance's own count in here."""
    try:
        apps.get_model("governance", "Approval")
    except LookupError:
        return None
    return None  # TODO(lead): return governance's pending count once it has landed

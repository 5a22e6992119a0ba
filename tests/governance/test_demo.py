import pytest
from django.core.management import call_command

from apps.audit.integrity import chains_verify
from apps.governance.models import ActionRequest, AgentLimits, PolicyVersion, ResourceHold
from apps.governance.page_selectors import decision_times

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_policy_limits_history_pending_approvals_and_a_hold_once():
    call_command("seed_demo")
    assert PolicyVersion.objects.get().rules.__len__() >= 10
    assert AgentLimits.objects.count() >= 2
    assert ResourceHold.objects.active().count() == 1
    statuses = set(ActionRequest.objects.values_list("status", flat=True))
    assert {"allowed", "denied", "pending", "approved", "rejected"} <= statuses
    assert ActionRequest.objects.filter(status="pending").count() >= 3
    decided = ActionRequest.objects.filter(decided_at__isnull=False)
    assert all(r.decided_at >= r.created_at for r in decided)  # time to decision is never negative
    assert any(
        (r.decided_at - r.created_at).total_seconds() > 60 for r in decided.filter(decided_by__isnull=False)
    )
    counts = ActionRequest.objects.count()
    call_command("seed_demo")
    assert ActionRequest.objects.count() == counts
    assert chains_verify().ok


def test_seeded_decisions_took_people_minutes_not_negative_milliseconds():
    call_command("seed_demo")
    times = decision_times()
    assert times.p50 is not None and 60 <= times.p50 <= times.p90 <= 2 * 3600
    for request in ActionRequest.objects.exclude(decided_at=None).exclude(expires_at=None):
        assert request.created_at <= request.decided_at <= request.expires_at, request.status

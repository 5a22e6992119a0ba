"""Reads the pages use: the queue, the review context, metrics."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.ingest import events_ingest
from apps.governance import selectors, services
from apps.governance.models import ActionRequest
from apps.registry.models import AgentStatus
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_the_queue_puts_the_request_with_least_time_left_first(ask, publish):
    publish([{"name": "short", "action": "urgent", "effect": "require_approval", "expires_in_minutes": 5}])
    later = ask("deploy")
    sooner = ask("urgent")
    assert list(selectors.pending_queue()) == [sooner, later]
    assert list(selectors.pending_queue(action="urg")) == [sooner]
    assert list(selectors.pending_queue(tier="low")) == []
    assert selectors.pending_count() == 2


def test_review_context_gathers_trace_holds_conflicts_history_and_similar(agent, ask, reviewer):
    events_ingest(
        agent=agent, body={"type": "decision", "trace_id": "tr-9", "name": "plan", "rationale": "why"}
    )
    earlier = ask("deploy")
    services.approval_decide(request=earlier, actor=reviewer, approve=False, comment="no")
    other = AgentFactory(slug="other-bot", risk_tier="high", status=AgentStatus.ACTIVE)
    rival = ask(who=other)
    services.hold_create(actor=reviewer, pattern="service:*", reason="incident")
    request = services.action_request(
        actor=agent, action="deploy", resource="service:payments", trace_id="tr-9"
    )
    context = selectors.review_context(request)
    assert [e.name for e in context.trace_events][:2] == ["plan", "action.escalated"]
    assert [h.reason for h in context.holds] == ["incident"]
    assert context.conflicts == [rival]
    assert context.history == [earlier]
    assert context.similar_counts == {"rejected": 1}


def test_approval_metrics(ask, reviewers):
    one, two = ask(), ask()
    ActionRequest.objects.filter(pk=one.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    services.approval_decide(request=one, actor=reviewers[0], approve=True)
    services.approval_decide(request=two, actor=reviewers[1], approve=False, comment="no")
    expired = ask()
    services.request_expire(request_id=expired.pk, now=expired.expires_at)
    ask()
    metrics = selectors.approval_metrics(days=30)
    assert (metrics.decided, metrics.expired, metrics.pending) == (2, 1, 1)
    assert metrics.median_seconds > 250
    assert metrics.per_reviewer == [("reviewer0", 1, 0), ("reviewer1", 0, 1)]


def test_review_path_is_the_review_page(ask):
    request = ask()
    assert selectors.review_path(request) == f"/approvals/{request.uuid}/"

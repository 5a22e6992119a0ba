"""agentgov.rows: hand-written statements must read and write exactly what the ORM would."""

import pytest
from django.utils import timezone

from agentgov.rows import RowWriter
from apps.governance.models import ActionRequest, RequestStatus

pytestmark = pytest.mark.django_db


def test_a_written_row_reads_back_as_the_orm_wrote_it(live_agent):
    request = ActionRequest(
        agent=live_agent,
        action="refund.create",
        resource="stripe:ch_1",
        params={"amount": 12.5, "nested": {"ids": [1, 2]}, "note": "naïve ☃"},
        params_hash="a" * 64,
        status=RequestStatus.ALLOWED,
        decided_at=timezone.now(),
    )
    RowWriter(ActionRequest).insert(request)
    assert request.pk is not None and not request._state.adding
    stored = ActionRequest.objects.get(pk=request.pk)
    assert stored.params == {"amount": 12.5, "nested": {"ids": [1, 2]}, "note": "naïve ☃"}
    assert (stored.uuid, stored.agent_id, stored.decided_at) == (
        request.uuid,
        live_agent.pk,
        request.decided_at,
    )
    assert stored.status == RequestStatus.ALLOWED

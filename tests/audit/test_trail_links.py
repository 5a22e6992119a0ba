"""The trail's cheap link builders give exactly what `reverse()` gives."""

import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse

from apps.audit.templatetags.trail import agent_url, event_url, trace_url


@pytest.mark.parametrize("trace_id", ["t-1", "run/42 #a?b", "ümlaut:@~"])
def test_trace_links_match_reverse_even_for_odd_trace_ids(trace_id):
    assert trace_url(trace_id) == reverse("audit:trace_detail", args=[trace_id])


def test_event_and_agent_links_match_reverse():
    event = SimpleNamespace(uuid=uuid.uuid4())
    assert event_url(event) == reverse("audit:event_detail", args=[event.uuid])
    assert agent_url("payments-bot") == reverse("registry:agent_detail", args=["payments-bot"])

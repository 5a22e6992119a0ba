"""Audit pages: the trail, one event, one trace. Reads only; the trail is append-only."""

from apps.audit.views.event import event_detail
from apps.audit.views.trace import trace_detail
from apps.audit.views.trail import trail

__all__ = ["event_detail", "trace_detail", "trail"]

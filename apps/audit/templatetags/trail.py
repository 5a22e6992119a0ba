"""Template helpers for audit pages. The trail renders 50 rows a page; `{% url %}` three
times a row and an `{% include %}` for each time were most of its time at 10M events."""

from functools import cache
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html

register = template.Library()

# A value each route's converter accepts, replaced by `{}` in the cached pattern.
_SAMPLE_UUID = "12345678-1234-5678-1234-567812345678"
_SAMPLE_TEXT = "sample-value"
# What Django's reverse() leaves unquoted in a path (RFC 3986 sub-delimiters and /~:@).
_SAFE = "!$&'()*+,;=/~:@"


@cache
def _pattern(name: str, sample: str) -> str:
    """The route's path after the script prefix, with `{}` for its one argument."""
    url = reverse(name, args=[sample])
    return url[len(get_script_prefix()) :].replace(sample, "{}")


def _url(name: str, value, sample: str = _SAMPLE_TEXT) -> str:
    return get_script_prefix() + _pattern(name, sample).format(quote(str(value), safe=_SAFE))


@register.filter
def event_url(event) -> str:
    return _url("audit:event_detail", event.uuid, _SAMPLE_UUID)


@register.filter
def trace_url(trace_id: str) -> str:
    return _url("audit:trace_detail", trace_id)


@register.filter
def agent_url(slug: str) -> str:
    return _url("registry:agent_detail", slug)


@register.simple_tag
def moment(value):
    """A moment to the second (the trail is read at that grain); the title holds the full
    value, the `datetime` attribute the machine-readable one."""
    if not value:
        return format_html('<span class="muted">—</span>')
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        dateformat.format(local, "c"),
        dateformat.format(local, "Y-m-d H:i:s.u T"),
        dateformat.format(local, "Y-m-d H:i:s"),
    )

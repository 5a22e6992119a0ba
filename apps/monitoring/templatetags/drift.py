"""Drift sentences name tools in backticks (they are also alert texts and audit data);
pages show those names as code."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_QUOTED = re.compile(r"`([^`]+)`")


@register.filter
def with_code(sentence: str) -> str:
    """`shell.exec` → <code>shell.exec</code>; everything else escaped."""
    return mark_safe(_QUOTED.sub(r"<code>\1</code>", escape(sentence)))

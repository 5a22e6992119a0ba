"""Turning whatever an agent passes into JSON agentgov accepts, at the moment it is passed.

The server refuses a whole batch over one bad value (NaN, an object it cannot read), so the
SDK encodes each event when it is recorded: a bad value costs that value, never the batch.
"""

import json
import math
from typing import Any

SUMMARY_LIMIT = 2000


def _fallback(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def dumps(value: Any) -> str:
    """Compact JSON with NaN and infinities as strings and unknown objects as their repr."""
    try:
        return json.dumps(value, default=_fallback, allow_nan=False, separators=(",", ":"))
    except ValueError:  # NaN or infinity somewhere: rare, so only then walk the value
        plain = json.loads(json.dumps(value, default=_fallback))
        return json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """The value as plain JSON data (dicts, lists, strings, numbers, booleans, None)."""
    return json.loads(dumps(value))


def summary(value: Any, limit: int = SUMMARY_LIMIT) -> Any:
    """A short form of a function's result for an outcome report: the value itself when
    its JSON is small, else the start of its JSON text."""
    text = dumps(value)
    return json.loads(text) if len(text) <= limit else text[: limit - 1] + "…"

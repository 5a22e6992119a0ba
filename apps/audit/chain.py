"""The hash chain that makes the trail tamper-evident.

Each event's `hash` is SHA-256 over a canonical JSON serialization of its content, which
includes `seq` and `prev_hash` (the previous event's hash in the same chain). Changing,
removing or reordering any row breaks every hash after it; `verify_audit` finds where.
"""

import hashlib
import json
from datetime import UTC
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
GLOBAL_CHAIN = "global"

# The content an event's hash covers. Append new fields at the end, never reorder: the
# canonical form of existing rows must not change.
HASHED_FIELDS = (
    "uuid",
    "occurred_at",
    "type",
    "name",
    "status",
    "actor_type",
    "actor_user_id",
    "actor_agent_id",
    "actor_label",
    "agent_id",
    "resource",
    "rationale",
    "data",
    "source_ip",
    "seq",
    "prev_hash",
    "client_id",
    "content_hash",
    "trace_id",
    "span_id",
    "parent_span_id",
    "input",
    "output",
    "duration_ms",
    "cost_usd",
    "tokens_in",
    "tokens_out",
    "alternatives",
    "chosen",
    "action_id",
    "attributes",
    "redactions",
)


def chain_key(agent_id: int | None) -> str:
    return f"agent:{agent_id}" if agent_id is not None else GLOBAL_CHAIN


def agent_id_of(key: str) -> int | None:
    """The inverse of chain_key: the agent whose chain `key` names, None for the global one."""
    return None if key == GLOBAL_CHAIN else int(key.split(":", 1)[1])


def as_stored_json(value):
    """The value as the database will give it back, so hashing before and after storage agree."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


COST_QUANTUM = Decimal("0.000001")  # the column's precision


def _canonical_value(value):
    if isinstance(value, Decimal):
        return format(value.quantize(COST_QUANTUM), "f")
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if value is None or isinstance(value, int | str | bool | dict | list | float):
        return value
    return str(value)  # UUID


def canonical_bytes(event) -> bytes:
    payload = {field: _canonical_value(getattr(event, field)) for field in HASHED_FIELDS}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()

"""The hash chain that makes the trail tamper-evident.

Each event's `hash` is SHA-256 over a canonical JSON serialization of its content, which
includes `seq` and `prev_hash` (the previous event's hash in the same chain). Changing,
removing or reordering any row breaks every hash after it; `verify_audit` finds where.
"""

import hashlib
import json
from datetime import UTC
from decimal import Decimal

import orjson
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

# Fields whose Python value is not JSON as it stands; every other hashed field is.
_TIME_FIELD, _UUID_FIELD, _COST_FIELD = "occurred_at", "uuid", "cost_usd"


def _utc_text(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cost_text(value) -> str | None:
    return None if value is None else format(Decimal(value).quantize(COST_QUANTUM), "f")


def compact_json(value, *, sort_keys: bool = False) -> bytes:
    """JSON as UTF-8 without spaces, by orjson, which is fast but stops at integers beyond
    64 bits; the standard library spells those values alike."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False).encode()


def sorted_json(value) -> bytes:
    """JSON with keys sorted at every level: the form hashes are taken of."""
    return compact_json(value, sort_keys=True)


def canonical_bytes_of(row: dict) -> bytes:
    """The canonical serialization of an event's hashed fields, given as a dict that holds
    at least HASHED_FIELDS (it is changed in place): `sorted_json`, since the database may
    hand JSON objects back in another key order, with times in UTC, microseconds and a Z."""
    row[_TIME_FIELD] = _utc_text(row[_TIME_FIELD])
    row[_UUID_FIELD] = str(row[_UUID_FIELD])
    row[_COST_FIELD] = _cost_text(row[_COST_FIELD])
    return sorted_json({field: row[field] for field in HASHED_FIELDS})


def canonical_bytes(event) -> bytes:
    return canonical_bytes_of({field: getattr(event, field) for field in HASHED_FIELDS})


def event_hash(event) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def row_hash(row: dict) -> str:
    """`event_hash` for a row read as a dict (verification walks millions of them)."""
    return hashlib.sha256(canonical_bytes_of(row)).hexdigest()

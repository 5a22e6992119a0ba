"""Agent event ingestion: a batch is validated whole, redacted, resends are recognised,
and what is new is linked into the agent's hash chain and stored in one INSERT."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, ValidationError

from apps.audit.chain import COST_QUANTUM, sorted_json
from apps.audit.models import ActorType, AuditEvent
from apps.audit.redaction import Redactor, redactor
from apps.audit.services import append_to_chain, locked_chain_head
from apps.audit.storage import pending_event

MAX_JSON_DEPTH = 32
MAX_JSON_STRING = 100_000
REDACTED_FIELDS = ("name", "resource", "rationale", "chosen", "input", "output", "alternatives", "attributes")


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the strict datetime check then names the wrong type
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an RFC 3339 timestamp, e.g. 2026-11-26T14:03:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry a time zone offset (RFC 3339), e.g. Z or +01:00")
    return parsed


def _bounded_json(value: Any) -> Any:
    """Refuses JSON nested deeper than MAX_JSON_DEPTH or holding a string over MAX_JSON_STRING."""
    level, depth = [value], 1
    while level:
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"is nested deeper than {MAX_JSON_DEPTH} levels")
        containers = []
        for item in level:
            if isinstance(item, str):
                if len(item) > MAX_JSON_STRING:
                    raise ValueError(f"holds a string longer than {MAX_JSON_STRING:,} characters")
            elif isinstance(item, dict):
                containers.extend(item.values())
            elif isinstance(item, list):
                containers.extend(item)
        level, depth = containers, depth + 1
    return value


BoundedJson = Annotated[JsonValue, BeforeValidator(_bounded_json)]
Id64 = Annotated[str, Field(max_length=64)]


class AlternativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    option: Annotated[str, Field(min_length=1, max_length=1000)]
    score: float | None = None
    reason: Annotated[str, Field(max_length=10_000)] | None = None


class EventIn(BaseModel):
    """One event as an agent sends it. Strict: wrong types are refused, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    type: Literal["decision", "tool_call", "action", "message", "error", "log"]
    occurred_at: Annotated[datetime, BeforeValidator(_rfc3339)] | None = None
    trace_id: Id64 = ""
    span_id: Id64 = ""
    parent_span_id: Id64 = ""
    name: Annotated[str, Field(max_length=200)] = ""
    resource: Annotated[str, Field(max_length=500)] = ""
    status: Literal["ok", "error", "denied"] = "ok"
    input: BoundedJson = None
    output: BoundedJson = None
    duration_ms: Annotated[float, Field(ge=0, le=1e10)] | None = None
    cost_usd: Annotated[float, Field(ge=0, le=1e9)] | None = None
    tokens_in: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    tokens_out: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    rationale: Annotated[str, Field(max_length=20_000)] = ""
    alternatives: Annotated[list[AlternativeIn], Field(max_length=100)] | None = None
    chosen: Annotated[str, Field(max_length=2000)] = ""
    action_id: Id64 = ""
    attributes: Annotated[dict[str, BoundedJson], BeforeValidator(_bounded_json)] = Field(
        default_factory=dict
    )


class BatchRefused(Exception):
    """The batch is invalid; nothing was stored. `errors` are {index, field, message}."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)


def _error(index: int | None, field_name: str, message: str) -> dict:
    return {"index": index, "field": field_name, "message": message}


def _pydantic_errors(index: int, exc: ValidationError) -> list[dict]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err["loc"] if not str(part).startswith(("function-", "list[", "dict["))]
        message = (
            "unknown field" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        )
        errors.append(_error(index, ".".join(loc) or "event", message))
    return errors


def events_from_body(body: Any) -> list[Any]:
    """The list of raw events in a request body: one event object, or {"events": [...]}."""
    if isinstance(body, dict) and "events" in body:
        extra = sorted(set(body) - {"events"})
        if extra:
            raise BatchRefused([_error(None, extra[0], "unknown field next to events")])
        events = body["events"]
        if not isinstance(events, list) or not events:
            raise BatchRefused([_error(None, "events", "must be a non-empty list of events")])
        if len(events) > settings.AUDIT_MAX_BATCH_EVENTS:
            raise BatchRefused(
                [
                    _error(
                        None,
                        "events",
                        f"at most {settings.AUDIT_MAX_BATCH_EVENTS:,} events per batch, got {len(events):,}",
                    )
                ]
            )
        return events
    if isinstance(body, dict):
        return [body]
    raise BatchRefused([_error(None, "body", 'must be an event object or {"events": [...]}')])


def validate_events(raw_events: list[Any]) -> list[EventIn]:
    """All events, validated; one bad event refuses the whole batch with every error listed."""
    validated, errors = [], []
    latest_allowed = timezone.now() + timedelta(seconds=settings.AUDIT_MAX_FUTURE_SKEW_SECONDS)
    for index, raw in enumerate(raw_events):
        try:
            event = EventIn.model_validate(raw)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(index, exc))
            continue
        if event.occurred_at is not None and event.occurred_at > latest_allowed:
            errors.append(_error(index, "occurred_at", "is more than 5 minutes in the future"))
        validated.append(event)
    if errors:
        raise BatchRefused(errors)
    return validated


def _content_hash(content: dict) -> str:
    # `content` is JSON-mode output, so it holds only JSON values.
    return hashlib.sha256(sorted_json(content)).hexdigest()


def _build(event: EventIn, agent, source_ip: str | None, now: datetime, scrub: Redactor) -> SimpleNamespace:
    # JSON mode yields plain JSON values: stored and hashed as they will be read back.
    sent = event.model_dump(exclude_unset=True, mode="json")
    found: list[dict] = []
    for name in REDACTED_FIELDS:
        if sent.get(name) is not None:
            sent[name] = scrub.redact(sent[name], name, found)
    cost = sent.get("cost_usd")
    return pending_event(
        occurred_at=event.occurred_at or now,
        type=event.type,
        name=sent.get("name", ""),
        status=event.status,
        actor_type=ActorType.AGENT,
        actor_agent_id=agent.pk,
        actor_label=f"agent:{agent.slug}",
        agent_id=agent.pk,
        resource=sent.get("resource", ""),
        rationale=sent.get("rationale", ""),
        source_ip=source_ip,
        client_id=event.id or "",
        content_hash=_content_hash(sent),  # what was sent, after redaction: a resend hashes alike
        trace_id=event.trace_id,
        span_id=event.span_id,
        parent_span_id=event.parent_span_id,
        input=sent.get("input"),
        output=sent.get("output"),
        duration_ms=event.duration_ms,
        cost_usd=Decimal(str(cost)).quantize(COST_QUANTUM) if cost is not None else None,
        tokens_in=event.tokens_in,
        tokens_out=event.tokens_out,
        alternatives=sent.get("alternatives"),
        chosen=sent.get("chosen", ""),
        action_id=event.action_id,
        attributes=sent.get("attributes", {}),
        redactions=found,
    )


def _stored_hashes(agent_id: int, ids: list[str]) -> dict[str, str]:
    """client_id → content_hash of this agent's stored events among `ids`."""
    if connection.vendor == "postgresql":
        # One array parameter, not one placeholder per id: compiling and binding 500
        # placeholders cost milliseconds per batch. Each id is looked up on its own (LATERAL)
        # in the partial unique index on (agent, client_id), whose predicate is stated
        # outright: as `client_id = ANY(ids)`, or as a join the planner may turn around, a
        # prepared statement's generic plan (blind to how many ids come) read every event
        # of the agent when its statistics lagged behind its growth.
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sent.client_id, e.content_hash FROM unnest(%s::text[]) AS sent(client_id) "
                f"CROSS JOIN LATERAL (SELECT content_hash FROM {table} WHERE agent_id = %s "
                "AND client_id = sent.client_id AND client_id <> '' LIMIT 1) e",
                [ids, agent_id],
            )
            return dict(cursor.fetchall())
    return dict(
        AuditEvent.objects.filter(agent_id=agent_id, client_id__in=ids)
        .order_by()
        .values_list("client_id", "content_hash")
    )


@transaction.atomic
def events_ingest(*, agent, body: Any, source_ip: str | None = None) -> IngestResult:
    """Store what an agent reports. Raises BatchRefused (nothing stored) for invalid input;
    a resent id with the same content is a duplicate, with other content it is rejected."""
    validated = validate_events(events_from_body(body))
    now = timezone.now()
    scrub = redactor()  # once per batch: the settings lookup stays off the per-event path
    built = [_build(event, agent, source_ip, now, scrub) for event in validated]
    head = locked_chain_head(agent.pk)  # also serialises the duplicate check below
    ids = [event.client_id for event in built if event.client_id]
    known = _stored_hashes(agent.pk, ids) if ids else {}
    result, fresh = IngestResult(), []
    for index, event in enumerate(built):
        if event.client_id:
            previous = known.get(event.client_id)
            if previous == event.content_hash:
                result.duplicates += 1
                continue
            if previous is not None:
                result.rejected.append(
                    _error(index, "id", f"id {event.client_id!r} was already used for different content")
                )
                continue
            known[event.client_id] = event.content_hash
        fresh.append(event)
    if fresh:
        append_to_chain(head, fresh, need_ids=False)
    result.accepted = len(fresh)
    return result

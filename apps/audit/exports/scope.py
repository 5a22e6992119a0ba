"""What an export covers: the trail's own filters (AuditEventFilter), fixed in time when
the export is requested, so a job that waits in the queue still reads the same rows."""

from collections.abc import Mapping
from datetime import UTC, datetime

from django.db.models import QuerySet
from django.http import QueryDict

from agentgov.errors import ApplicationError
from apps.audit.filters import QUICK_RANGES, AuditEventFilter
from apps.audit.models import AuditEvent

FILTER_NAMES = tuple(AuditEventFilter.base_filters)
MULTIPLE = frozenset({"type", "status"})
_TIME = ("range", "since", "until")


def _values(raw: Mapping, name: str) -> list[str]:
    values = raw.getlist(name) if isinstance(raw, QueryDict) else raw.get(name)
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        values = [values]
    if any(not isinstance(value, str | int | float) for value in values):
        raise ApplicationError(f"{name}: give a string or a list of strings", field=name)
    return [str(value).strip() for value in values if str(value).strip()]


def _as_query(filters: Mapping) -> QueryDict:
    query = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        values = _values(filters, name)
        if len(values) > 1 and name not in MULTIPLE:
            raise ApplicationError(f"{name}: give one value, not {len(values)}", field=name)
        if values:
            query.setlist(name, values)
    return query


def _valid_filterset(query: QueryDict, queryset: QuerySet) -> AuditEventFilter:
    filterset = AuditEventFilter(query, queryset=queryset)
    if not filterset.is_valid():
        name, messages = next(iter(filterset.errors.items()))
        raise ApplicationError(f"{name}: {' '.join(messages)}", field=name)
    return filterset


def export_filters(raw: Mapping, *, now: datetime) -> dict:
    """Validate trail filters and fix the time range: a quick `range` becomes `since`, and
    `until` is at most `now`. Unknown names are refused rather than silently widening the
    export. Returns what the manifest shows: {name: value, or [values] for type and status}."""
    unknown = sorted(set(raw) - set(FILTER_NAMES))
    if unknown:
        raise ApplicationError(
            f"unknown filter {unknown[0]!r}; the filters are {', '.join(FILTER_NAMES)}", field=unknown[0]
        )
    query = _as_query(raw)
    cleaned = _valid_filterset(query, AuditEvent.objects.none()).form.cleaned_data
    since, until = cleaned.get("since"), min(cleaned.get("until") or now, now)
    if cleaned.get("range"):
        start = now - QUICK_RANGES[cleaned["range"]][1]
        since = max(since, start) if since else start
    if since and since >= until:
        raise ApplicationError(
            "the time range is empty: since must be before until (and not in the future)", field="since"
        )
    agent = cleaned.get("agent")
    if agent:
        from apps.registry.models import Agent

        if not Agent.objects.filter(slug=agent).exists():
            raise ApplicationError(f"no agent with slug {agent!r}", field="agent")
    fixed = {
        name: values if name in MULTIPLE else values[0] for name, values in query.lists() if name not in _TIME
    }
    if since:
        fixed["since"] = since.astimezone(UTC).isoformat()
    fixed["until"] = until.astimezone(UTC).isoformat()
    return fixed


def events_in_scope(filters: Mapping) -> QuerySet[AuditEvent]:
    """The events the filters select. The agent is matched by id, not by a join on its slug,
    so the database walks the agent's (agent, occurred_at, id) index in order."""
    query, events = _as_query(filters), AuditEvent.objects.all()
    agent = scope_agent(filters)
    if agent is not None:
        query.pop("agent")
        events = events.filter(agent_id=agent.pk)
    return _valid_filterset(query, events).qs


def scope_agent(filters: Mapping):
    """The agent whose chain the export must verify; None means every chain."""
    from apps.registry.models import Agent

    slug = filters.get("agent")
    if not slug:
        return None
    agent = Agent.objects.filter(slug=slug).first()
    if agent is None:
        raise ApplicationError(f"no agent with slug {slug!r} any more", field="agent")
    return agent


def _readable_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # not valid: shown as given, next to the error that says so
    if moment.tzinfo is None:
        return value
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def describe_filters(filters: Mapping) -> list[tuple[str, str]]:
    """(label, value) pairs for pages, in the filter set's order."""
    described = []
    for name in FILTER_NAMES:
        values = _values(filters, name)
        if not values:
            continue
        spec = AuditEventFilter.base_filters[name]
        choices = dict(spec.extra.get("choices") or [])
        label = str(spec.label or name.replace("_", " ").capitalize())
        if name in ("since", "until"):
            values = [_readable_time(value) for value in values]
        described.append((label, ", ".join(str(choices.get(v, v)) for v in values)))
    return described

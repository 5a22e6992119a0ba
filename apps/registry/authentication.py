"""Agent authentication for agent-facing endpoints: `Authorization: Bearer agk_…`.

Usage on a view: `authentication_classes = [AgentKeyAuthentication]` and
`permission_classes = [AgentMayAct]` (paused or quarantined agents refused) or
`[AgentMayReport]` (they may still report what happened; only retired is refused).
"""

import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from agentgov.rows import RowReader
from apps.registry.models import Agent, AgentKey, AgentStatus
from apps.registry.services.keys import KEY_SCHEME, hash_key


@dataclass(frozen=True)
class AgentPrincipal:
    """What `request.user` is on an agent-authenticated request."""

    agent: Agent
    key: AgentKey
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False

    def __str__(self) -> str:
        return f"agent:{self.agent.slug}"


_KEY_ROW, _AGENT_ROW = RowReader(AgentKey), RowReader(Agent)


@cache
def _key_sql(vendor: str) -> str:
    """The key and its agent in one statement; `vendor` keys the cache (quoting differs)."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    return (
        f"SELECT {_KEY_ROW.columns(connection, 'k')}, {_AGENT_ROW.columns(connection, 'a')} "
        f"FROM {quote(AgentKey._meta.db_table)} k JOIN {quote(Agent._meta.db_table)} a "
        f"ON a.{quote(Agent._meta.pk.column)} = k.{quote(AgentKey._meta.get_field('agent').column)} "
        f"WHERE k.{quote(AgentKey._meta.get_field('prefix').column)} = %s"
    )


def key_with_agent(prefix: str) -> AgentKey | None:
    """The key with this prefix and its agent, read fresh (every request: a revoked key or
    a paused agent must be refused on the next one). Hand-written SQL, because compiling
    the equivalent `select_related` queryset cost more than running it, on every request."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(connection.vendor), [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    key = _KEY_ROW.build(connection, row)
    AgentKey.agent.field.set_cached_value(key, _AGENT_ROW.build(connection, row, len(_KEY_ROW)))
    return key


def _key_for(raw_key: str) -> AgentKey:
    parts = raw_key.split("_")
    if len(parts) < 3 or parts[0] != KEY_SCHEME:
        raise exceptions.AuthenticationFailed("malformed agent key: expected 'agk_<prefix>_<secret>'")
    key = key_with_agent(f"{parts[0]}_{parts[1]}")
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw_key)):
        raise exceptions.AuthenticationFailed("invalid agent key")
    if key.revoked_at is not None:
        raise exceptions.AuthenticationFailed(f"agent key {key.prefix} was revoked")
    if key.is_expired:
        raise exceptions.AuthenticationFailed(
            f"agent key {key.prefix} expired at {key.expires_at:%Y-%m-%dT%H:%M:%SZ}"
        )
    if key.agent.status == AgentStatus.RETIRED:
        raise exceptions.PermissionDenied(f"agent {key.agent.slug!r} is retired; its keys no longer work")
    return key


def _touch(key: AgentKey) -> None:
    now = timezone.now()
    resolution = timedelta(seconds=settings.AGENT_KEY_LAST_USED_RESOLUTION_SECONDS)
    if key.last_used_at is not None and key.last_used_at >= now - resolution:
        return  # recent enough: no query at all on the hot path
    # Conditional, so concurrent requests of a busy agent write once per resolution window.
    AgentKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - resolution)
    ).update(last_used_at=now)


class AgentKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("send the key as 'Authorization: Bearer <key>'")
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("malformed agent key") from None
        key = _key_for(raw_key)
        _touch(key)
        return AgentPrincipal(agent=key.agent, key=key), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="agentgov"'


def _agent_of(request) -> Agent | None:
    principal = request.user
    return principal.agent if isinstance(principal, AgentPrincipal) else None


class AgentMayReport(BasePermission):
    """An agent key is required; any non-retired agent may report what happened."""

    def has_permission(self, request, view) -> bool:
        if _agent_of(request) is None:
            raise exceptions.NotAuthenticated("an agent key is required: send 'Authorization: Bearer <key>'")
        return True


class AgentMayAct(AgentMayReport):
    """Only a registered or active agent is served: the kill switch lives here."""

    def has_permission(self, request, view) -> bool:
        super().has_permission(request, view)
        agent = _agent_of(request)
        if agent.status == AgentStatus.PAUSED:
            raise exceptions.PermissionDenied(
                f"agent {agent.slug!r} is paused; its requests are refused until a person resumes it"
            )
        if agent.status == AgentStatus.QUARANTINED:
            raise exceptions.PermissionDenied(
                f"agent {agent.slug!r} is quarantined; its requests are refused"
            )
        return True

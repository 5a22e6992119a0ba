"""Agent API keys: `agk_<8 chars>_<secret>`. The first part is the visible prefix; only
a SHA-256 of the whole key is stored (the secret has 256 bits, so a slow hash adds
nothing but latency on every agent request)."""

import hashlib
import secrets
import string
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agentgov.errors import ApplicationError, ConflictError
from apps.audit.models import EventType
from apps.audit.services import SYSTEM, record
from apps.registry.models import Agent, AgentKey, AgentStatus

KEY_SCHEME = "agk"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _new_key_material() -> tuple[str, str]:
    prefix = f"{KEY_SCHEME}_" + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def _default_expiry() -> datetime | None:
    days = settings.AGENT_KEY_DEFAULT_TTL_DAYS
    return timezone.now() + timedelta(days=days) if days else None


def _key_data(key: AgentKey) -> dict:
    return {"prefix": key.prefix, "name": key.name, "expires_at": key.expires_at}


@transaction.atomic
def agent_key_create(
    *,
    agent: Agent,
    actor,
    name: str = "",
    expires_at: datetime | None = None,
    never_expires: bool = False,
) -> tuple[AgentKey, str]:
    """Create a key and return it with its plaintext, which is never stored or shown again."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.status in (AgentStatus.RETIRED, AgentStatus.QUARANTINED):
        raise ConflictError(
            f"agent {agent.slug!r} is {agent.status}; it cannot be given a new key", field="status"
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError("expires_at must be in the future", field="expires_at")
    if expires_at is None and not never_expires:
        expires_at = _default_expiry()
    prefix, raw_key = _new_key_material()
    key = AgentKey(
        agent=agent,
        prefix=prefix,
        key_hash=hash_key(raw_key),
        name=name.strip(),
        created_by=actor,
        expires_at=expires_at,
    )
    key.full_clean()
    key.save()
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="key.created",
        agent=agent,
        resource=agent.resource_name,
        data=_key_data(key),
    )
    return key, raw_key


@transaction.atomic
def agent_key_revoke(*, key: AgentKey, actor, reason: str = "") -> AgentKey:
    key = AgentKey.objects.select_for_update(of=("self",)).select_related("agent").get(pk=key.pk)
    if key.revoked_at is not None:
        raise ConflictError(f"key {key.prefix} was already revoked", field="prefix")
    key.revoked_at = timezone.now()
    key.revoked_by = actor
    key.revoke_reason = reason.strip()
    key.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="key.revoked",
        agent=key.agent,
        resource=key.agent.resource_name,
        rationale=key.revoke_reason,
        data=_key_data(key),
    )
    return key


@transaction.atomic
def agent_key_rotate(
    *, key: AgentKey, actor, grace_minutes: int = 0, reason: str = ""
) -> tuple[AgentKey, str]:
    """Replace a key. The old one is revoked now, or keeps working for `grace_minutes`
    so a running agent can pick up the new key without a failed request."""
    if grace_minutes < 0 or grace_minutes > 7 * 24 * 60:
        raise ApplicationError("grace_minutes must be between 0 and 10080 (one week)", field="grace_minutes")
    old = AgentKey.objects.select_for_update(of=("self",)).select_related("agent").get(pk=key.pk)
    if not old.is_usable:
        raise ConflictError(
            f"key {old.prefix} is {old.state}; only an active key can be rotated", field="prefix"
        )
    lifetime = (old.expires_at - old.created_at) if old.expires_at else None
    new, raw_key = agent_key_create(
        agent=old.agent,
        actor=actor,
        name=old.name,
        expires_at=timezone.now() + lifetime if lifetime else None,
        never_expires=lifetime is None,
    )
    old.replaced_by = new
    if grace_minutes:
        grace_end = timezone.now() + timedelta(minutes=grace_minutes)
        old.expires_at = min(old.expires_at, grace_end) if old.expires_at else grace_end
        old.save(update_fields=["replaced_by", "expires_at"])
    else:
        old.revoked_at, old.revoked_by = timezone.now(), actor
        old.revoke_reason = f"rotated to {new.prefix}"
        old.save(update_fields=["replaced_by", "revoked_at", "revoked_by", "revoke_reason"])
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="key.rotated",
        agent=old.agent,
        resource=old.agent.resource_name,
        rationale=reason,
        data={
            "old_prefix": old.prefix,
            "new_prefix": new.prefix,
            "old_key_valid_until": old.expires_at if grace_minutes else old.revoked_at,
        },
    )
    return new, raw_key


def key_expiry_record_due(now: datetime | None = None) -> int:
    """Write one `key.expired` audit event per key that has expired since the last run.

    Each key is claimed with a conditional update, so overlapping runs never record an
    expiry twice.
    """
    now = now or timezone.now()
    due = AgentKey.objects.filter(
        expires_at__lte=now, expiry_recorded_at__isnull=True, revoked_at__isnull=True
    ).values_list("pk", flat=True)
    recorded = 0
    for pk in list(due[:1000]):
        with transaction.atomic():
            claimed = AgentKey.objects.filter(pk=pk, expiry_recorded_at__isnull=True).update(
                expiry_recorded_at=now
            )
            if claimed != 1:
                continue
            key = AgentKey.objects.select_related("agent").get(pk=pk)
            record(
                actor=SYSTEM,
                type=EventType.CHANGE,
                name="key.expired",
                agent=key.agent,
                resource=key.agent.resource_name,
                occurred_at=key.expires_at,
                data=_key_data(key),
            )
            recorded += 1
    return recorded

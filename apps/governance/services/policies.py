"""Policy versions: the one in force (compiled once per version number) and publishing."""

import threading
from typing import Any

from django.db import IntegrityError, transaction

from agentgov.errors import ApplicationError, ConflictError, PermissionRefused
from apps.accounts.roles import Capability, user_can
from apps.audit.models import EventType
from apps.audit.services import record
from apps.governance.models import PolicyVersion
from apps.governance.policy import (
    EMPTY_POLICY,
    CompiledPolicy,
    compile_policy,
    normalize_document,
    policy_diff,
    policy_from_yaml,
)

# Keyed by (number, pk, created_at): a database that was reset (tests, restores) may reuse
# a number and a pk for another document, never also the creation time.
_compiled: dict[tuple, CompiledPolicy] = {}
_lock = threading.Lock()


def compiled_version(version: PolicyVersion) -> CompiledPolicy:
    """The compiled form of a stored version; compiled once per process (versions never change)."""
    key = (version.number, version.pk, version.created_at)
    policy = _compiled.get(key)
    if policy is None:
        policy = compile_policy(version.document, version=version.number)
        with _lock:
            _compiled[key] = policy
    return policy


def policy_in_force() -> CompiledPolicy:
    """The newest version, compiled. One indexed query for the number; the document is
    read and compiled only the first time a process sees that number."""
    return policy_of_key(
        PolicyVersion.objects.order_by("-number").values_list("number", "pk", "created_at").first()
    )


def policy_of_key(key: tuple | None) -> CompiledPolicy:
    """The compiled version whose (number, pk, created_at) is `key`; None is no policy yet."""
    if key is None:
        return EMPTY_POLICY
    policy = _compiled.get(key)
    if policy is None:
        policy = compiled_version(PolicyVersion.objects.get(pk=key[1]))
    return policy


@transaction.atomic
def policy_publish(*, actor, document: dict[str, Any] | str, comment: str = "") -> PolicyVersion:
    """Save a new policy version (admins only) and audit it with the diff to the previous one.

    `document` is a dict (`{"holds", "rules"}`) or YAML text. Raises PolicyInvalid (an
    ApplicationError whose field is `rules[i].<field>` and whose message names the rule),
    ApplicationError if nothing changed, ConflictError if someone published concurrently.
    """
    if actor is not None and not user_can(actor, Capability.MANAGE):
        raise PermissionRefused("only the admin role may change the policy")
    document = policy_from_yaml(document) if isinstance(document, str) else normalize_document(document)
    compile_policy(document)
    previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
    if previous is not None and previous.document == document:
        raise ApplicationError(f"nothing changed since version {previous.number}", field="document")
    number = previous.number + 1 if previous else 1
    diff = policy_diff(
        previous.document if previous else None,
        document,
        old_label=f"v{previous.number}" if previous else "empty",
        new_label=f"v{number}",
    )
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                number=number, document=document, author=actor, comment=comment, diff=diff
            )
    except IntegrityError:
        raise ConflictError("someone published a policy version at the same time; reload and retry") from None
    record(
        actor=actor,
        type=EventType.CHANGE,
        name="policy.published",
        resource=f"policy:v{number}",
        rationale=comment,
        data={
            "version": number,
            "previous": previous.number if previous else None,
            "diff": diff,
            "rules": len(document["rules"]),
        },
    )
    return version

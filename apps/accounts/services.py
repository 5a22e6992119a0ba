"""Writes to accounts."""

import secrets

from django.db import transaction

from apps.accounts.models import User
from apps.accounts.roles import Role, role_group
from apps.audit.models import EventType
from apps.audit.services import SYSTEM, record


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    roles: list[Role] | tuple[Role, ...] = (),
    email: str = "",
    password: str | None = None,
    is_superuser: bool = False,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user holding `roles`; without a password the account cannot log in."""
    user = User(
        username=username,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.set([role_group(role) for role in roles])
    record(
        actor=actor if actor is not None else SYSTEM,
        type=EventType.CHANGE,
        name="user.created",
        resource=f"user:{username}",
        data={"username": username, "roles": sorted(Role(r).value for r in roles), "superuser": is_superuser},
    )
    return user


def random_password() -> str:
    return secrets.token_urlsafe(12)

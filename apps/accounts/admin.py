from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from agentgov.admin import AuditedAdminMixin
from apps.accounts.models import User

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, DjangoGroupAdmin):
    """Groups are roles: who granted which role is in the audit trail."""


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    """Roles are the groups `viewer`, `reviewer`, `auditor` and `admin` (see roles.py)."""

    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")

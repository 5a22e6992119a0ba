"""Read-only admin for the registry.

Lifecycle, versions and keys change only through the product pages (and the API), which
call the services, so every change has its audit row. The admin is for looking.
"""

from django.contrib import admin

from agentgov.admin import ReadOnlyModelAdmin
from apps.registry.models import Agent, AgentKey, AgentVersion


class RegistryAdmin(ReadOnlyModelAdmin):
    read_only_note = (
        "Read-only here: change agents, versions and keys from the Agents pages, so that "
        "every change is written to the audit trail."
    )


@admin.register(Agent)
class AgentAdmin(RegistryAdmin):
    list_display = ("slug", "name", "status", "risk_tier", "environment", "owner", "team")
    list_filter = ("status", "risk_tier", "environment")
    search_fields = ("slug", "name", "team")
    list_select_related = ("owner",)


@admin.register(AgentVersion)
class AgentVersionAdmin(RegistryAdmin):
    list_display = ("agent", "label", "model", "created_at", "deployed_at", "created_by")
    search_fields = ("agent__slug", "label", "model")
    list_select_related = ("agent", "created_by")


@admin.register(AgentKey)
class AgentKeyAdmin(RegistryAdmin):
    list_display = ("prefix", "agent", "name", "created_at", "expires_at", "revoked_at")
    search_fields = ("prefix", "agent__slug", "name")
    list_select_related = ("agent",)
    # Nobody needs to read the hash; leaving it out keeps it out of screenshots too.
    exclude = ("key_hash",)

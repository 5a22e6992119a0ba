"""Teaches drf-spectacular how agents authenticate, so the OpenAPI document says so."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AgentKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.registry.authentication.AgentKeyAuthentication"
    name = "agentKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "agk_<prefix>_<secret>",
            "description": "An agent's API key, created on the agent's page or through the keys endpoint.",
        }

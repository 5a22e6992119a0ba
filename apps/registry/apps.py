from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = "Agent registry"

    def ready(self) -> None:
        from apps.registry import schema  # noqa: F401  (registers the OpenAPI auth scheme)

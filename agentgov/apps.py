from django.apps import AppConfig


class AgentgovConfig(AppConfig):
    name = "agentgov"
    verbose_name = "agentgov"

    def ready(self) -> None:
        # Make our Celery app the current one, so @shared_task binds to it.
        from agentgov.celery import app  # noqa: F401

"""agentgov: a self-hosted control tower for fleets of AI agents.

Deliberately empty: `agentgov.client` (the agent SDK) must import without Django or
Celery, so the Celery app is loaded by `agentgov.apps.AgentgovConfig.ready()` instead
of here as the Celery recipe usually does.
"""

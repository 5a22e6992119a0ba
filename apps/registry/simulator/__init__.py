"""`manage.py simulate_fleet`: demo agents driven through the SDK (agentgov.client)."""

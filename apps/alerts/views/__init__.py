"""Alerts pages: alerts (list, detail, acknowledge, silence), channels and rules."""

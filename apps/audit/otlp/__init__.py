"""OpenTelemetry (OTLP/HTTP) trace ingestion: spans become audit events (see mapping.py)."""

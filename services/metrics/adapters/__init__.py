"""Metrics adapters: PostgreSQL (db) and the Prometheus collector (prometheus)."""

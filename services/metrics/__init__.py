"""Metrics: rolling recognition percentages per title, year and area, on Prometheus and an API."""

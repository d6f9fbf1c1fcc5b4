"""Metrics settings (environment prefix METRICS_, falling back to HOCTAP_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.events.vocabulary import Level
from shared.settings import BaseServiceSettings


class MetricsSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore")

    service_name: str = "metrics"
    http_port: int = 8083
    prometheus_levels: list[Level] = Field(
        default=[Level.PROVINCE, Level.COMMUNE],
        description="Levels exported to Prometheus (hamlets stay in the API to bound cardinality).",
    )
    scrape_cache_seconds: float = Field(default=1.0, ge=0)

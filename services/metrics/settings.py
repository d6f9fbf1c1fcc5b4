"""Metrics settings (environment prefix METRICS_, falling back to HOCTAP_)."""

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.events.vocabulary import Level
from shared.programme import DEFAULT_PROGRAMME, load_programme
from shared.settings import BaseServiceSettings

from .domain.rules import REFORM_DATE, MetricsRules


class MetricsSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore")

    service_name: str = "metrics"
    http_port: int = 8083
    # Larger batches than the other services: a batch's cost is mostly per cell, not per record.
    batch_max_records: int = Field(default=10_000, ge=1, le=10_000)
    # Reads ahead 16 MB (2 MB a partition), less than the other services' 50 MB: its batches of
    # decisions are the largest. On a year's backlog: 238 MB at 7,964 decisions/s, against
    # 248-269 MB at 7,612-8,427 with 50 MB and 170 MB at 5,948 with 8 MB (the default while
    # FastStream's parser still kept every record's headers, when 50 MB took it to 492 MB).
    # tests/bench/bench_metrics_service.py, services/metrics/README.md.
    kafka_fetch_max_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    reform_date: date = Field(
        default=REFORM_DATE,
        description="Two-level local government starts: years ending before it keep the recorded map too.",
    )
    unassessed_tolerance: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of registered entities that may still lack a decision before a cell is insufficient.",
    )
    programme_file: Path = DEFAULT_PROGRAMME
    country_code: str = Field(default="VN", pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{1,31}$")
    country_name: str = "Việt Nam"
    prometheus_levels: list[Level] = Field(
        default=[Level.PROVINCE, Level.COMMUNE],
        description="Levels exported to Prometheus (hamlets stay in the API to bound cardinality).",
    )
    prometheus_first_year: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        description="Export only years from this one on (None: every year).",
    )
    scrape_cache_seconds: float = Field(default=1.0, ge=0)

    def rules(self) -> MetricsRules:
        return MetricsRules.build(
            programme=load_programme(self.programme_file),
            reform_date=self.reform_date,
            unassessed_tolerance=self.unassessed_tolerance,
            country_code=self.country_code,
            country_name=self.country_name,
        )

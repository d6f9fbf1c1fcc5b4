"""Settings every service shares; each service subclasses with its own environment prefix.

A variable with the service prefix (`REGISTRY_KAFKA_BOOTSTRAP_SERVERS`) wins over the same name
with the project prefix (`HOCTAP_KAFKA_BOOTSTRAP_SERVERS`), so one export can point all four
services at an external Kafka or PostgreSQL while each can still be set apart.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev-only"}


class BaseServiceSettings(BaseSettings):
    service_name: str = "service"
    environment: Literal["dev", "test", "prod"] = "dev"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    log_level: str = "INFO"

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_idempotent_producer: bool = Field(
        default=True, description="Off for brokers without idempotent producers (Tansu 0.6)."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: str | None = None
    kafka_ssl_cafile: str | None = Field(default=None, description="CA bundle for SSL / SASL_SSL.")
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    topic_prefix: str = Field(
        default="", description="Prepended to every catalogue topic (tests, shared clusters)."
    )
    consumer_group_prefix: str = "hoctap"
    # A batch's fixed cost (a dozen round trips to PostgreSQL) is amortised over its records:
    # 2,000 applied the registry's facts 15% faster than 500 in `make bench`. A batch never waits
    # to fill up: it takes what has arrived within batch_timeout_ms.
    batch_max_records: int = Field(default=2000, ge=1, le=10_000)
    batch_timeout_ms: int = Field(default=100, ge=1)
    # What the Kafka client reads ahead of the batch being handled: a fetch response is read
    # whole into memory, up to `kafka_fetch_max_bytes`, at most `..._partition_...` per partition.
    kafka_fetch_max_bytes: int = Field(default=50 * 1024 * 1024, ge=64 * 1024)
    kafka_max_partition_fetch_bytes: int = Field(default=2 * 1024 * 1024, ge=64 * 1024)

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/hoctap"
    database_schema: str = ""
    database_pool_size: int = 5

    # The garbage collector's generation thresholds for `serve` (Python's default: 700, 10, 10).
    # A batch of 10,000 decoded events is a few hundred thousand short-lived objects; at the
    # default, collections rescanning them took 40% of the metrics consumer's CPU (startup's
    # objects are also frozen out of every scan). The older generations' thresholds were first
    # left at 10, 10: 20, 100 was 9% faster end to end in `make bench` but let recognition reach
    # 305 MB. Since handled batches are let go and FastStream's per-record header dictionaries
    # are gone, it does not: `bench_pipeline --scale 0.2` 1,704-1,823 facts/s in two runs
    # (1,712 just before, within noise), recognition's peak 247.2-248.6 MB (245.7 before).
    gc_thresholds: tuple[int, int, int] = (50_000, 20, 100)

    outbox_poll_interval_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=1000, ge=1)

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, url: str) -> str:
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                return "postgresql+asyncpg://" + url[len(plain) :]
        if not url.startswith("postgresql+asyncpg://"):
            raise ValueError("database_url must be a postgresql:// URL")
        return url

    @model_validator(mode="after")
    def _schema_defaults_to_service(self) -> BaseServiceSettings:
        if not self.database_schema:
            self.database_schema = self.service_name
        if not self.database_schema.isidentifier():
            raise ValueError(f"database_schema {self.database_schema!r} is not a plain identifier")
        return self

    @model_validator(mode="after")
    def _kafka_credentials(self) -> BaseServiceSettings:
        if self.kafka_security_protocol.startswith("SASL") and not (self.kafka_username and self.kafka_password):
            raise ValueError("kafka_username and kafka_password are needed for SASL")
        return self

    @property
    def consumer_group(self) -> str:
        return f"{self.consumer_group_prefix}-{self.service_name}"

    def topic(self, name: str) -> str:
        """The physical topic name for a catalogue topic."""
        return f"{self.topic_prefix}{name}"

    def refuse_placeholder(self, name: str, value: str | None) -> None:
        """Secrets have no defaults; a placeholder is refused outside dev."""
        if self.environment != "dev" and (value is None or value.strip().lower() in PLACEHOLDER_SECRETS):
            raise ValueError(f"{name} must be set to a real secret when environment={self.environment}")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        project_env = EnvSettingsSource(settings_cls, env_prefix="HOCTAP_", case_sensitive=False)
        return init_settings, env_settings, project_env, file_secret_settings

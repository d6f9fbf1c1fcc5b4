"""Registry settings (environment prefix REGISTRY_, falling back to HOCTAP_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings

DEV_NATIONAL_ID_KEY = "dev-only-national-id-hmac-key"


class RegistrySettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    http_port: int = 8081
    # Larger batches than recognition and notifications: the registry sets the pipeline's pace,
    # and its batches are full under load. 5,000 instead of 2,000: `bench_pipeline --scale 0.2`
    # 1,998 facts/s (ratio 0.114) against 1,704-1,823 (0.087-0.097), peak 210.6 MB against 170.
    batch_max_records: int = Field(default=5000, ge=1, le=10_000)
    publishers_file: Path | None = Field(
        default=None, description="YAML of publishers: CloudEvents sources, bearer-token hashes, areas."
    )
    authorisation: Literal["enforce", "off"] = Field(
        default="enforce", description="'off' accepts any publisher (only allowed in dev)."
    )
    national_id_key: str | None = Field(default=None, description="Secret key of the national-ID HMAC.")
    park_seconds: float = Field(default=3600.0, gt=0, description="How long a fact may wait for a reference.")
    park_retry_seconds: float = Field(default=5.0, gt=0)
    import_chunk_rows: int = Field(default=500, ge=1, le=10_000)

    def check_for_serving(self) -> None:
        """Serving outside dev needs real secrets and a publishers file (migrations need neither)."""
        if self.environment != "dev":
            self.refuse_placeholder("national_id_key", self.national_id_key)
            if self.national_id_key == DEV_NATIONAL_ID_KEY:
                raise ValueError("national_id_key must be set to a real secret outside dev")
            if self.authorisation == "off":
                raise ValueError("authorisation=off is only allowed in dev")
            if self.publishers_file is None:
                raise ValueError("publishers_file is required outside dev")

    @property
    def effective_national_id_key(self) -> str:
        return self.national_id_key or DEV_NATIONAL_ID_KEY

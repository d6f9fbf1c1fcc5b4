"""Recognition settings (environment prefix RECOGNITION_, falling back to HOCTAP_)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class RecognitionSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RECOGNITION_", extra="ignore")

    service_name: str = "recognition"
    http_port: int = 8082
    rule_set_folders: list[Path] = Field(
        default_factory=list,
        description="Province folders of rule-set YAML, read after the built-in ones.",
    )
    readers_file: Path | None = Field(
        default=None,
        description="YAML of reader tokens (name, token_sha256) allowed to read decisions and "
        "simulations; without it those routes refuse every request.",
    )

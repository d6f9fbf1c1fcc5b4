"""Notifications settings (environment prefix NOTIFICATIONS_, falling back to HOCTAP_)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.programme import DEFAULT_PROGRAMME
from shared.settings import BaseServiceSettings

CONFIG = Path(__file__).resolve().parent / "config"


class NotificationsSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    http_port: int = 8084

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 20.0
    mail_from: str = "hoctap <no-reply@hoctap.local>"
    message_id_domain: str = "hoctap.local"
    max_emails_per_minute: int = Field(default=60, ge=1)
    max_attempts: int = Field(default=12, ge=1)

    agencies_file: Path = CONFIG / "agencies.example.yaml"
    programme_file: Path = DEFAULT_PROGRAMME
    reporting_cutoff: str = Field(default="12-15", description="MM-DD: the yearly reporting cut-off.")
    timezone: str = "Asia/Ho_Chi_Minh"
    settle_seconds: float = Field(
        default=900.0, ge=0, description="Figures must be unchanged this long before a verdict (late data)."
    )
    evaluate_interval_seconds: float = Field(default=30.0, gt=0)
    deliver_interval_seconds: float = Field(default=5.0, gt=0)

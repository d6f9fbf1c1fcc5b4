"""Notifications settings (environment prefix NOTIFICATIONS_, falling back to HOCTAP_)."""

from email.utils import parseaddr
from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.programme import DEFAULT_PROGRAMME
from shared.settings import BaseServiceSettings

from .domain.calendar import ReportingCalendar, parse_month_day

CONFIG = Path(__file__).resolve().parent / "config"


class NotificationsSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    http_port: int = 8084

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS (port 587).")
    smtp_use_tls: bool = Field(default=False, description="Implicit TLS from the first byte (port 465).")
    smtp_validate_certs: bool = True
    smtp_cert_bundle: Path | None = Field(default=None, description="CA bundle for a private relay's certificate.")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    mail_from: str = "hoctap <no-reply@hoctap.local>"
    message_id_domain: str = Field(default="hoctap.local", pattern=r"^[A-Za-z0-9.-]+$")
    max_emails_per_minute: int = Field(default=60, ge=1, description="The rate limit, per replica.")
    retry_base_seconds: float = Field(default=30.0, gt=0, description="First backoff after a temporary failure; doubles each time.")
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    give_up_after_hours: float = Field(default=72.0, gt=0, description="Temporary failures stop being retried after this.")

    agencies_file: Path = CONFIG / "agencies.example.yaml"
    readers_file: Path | None = Field(
        default=None,
        description="YAML of reader tokens (name, token_sha256) allowed to list alerts and verdicts; "
        "without it those routes refuse every request.",
    )
    programme_file: Path = DEFAULT_PROGRAMME
    reporting_cutoff: str = Field(default="12-15", description="MM-DD: the yearly cut-off (final met / missed).")
    interim_checkpoint: str = Field(default="09-30", description="MM-DD: from here to the cut-off, at-risk warnings.")
    timezone: str = "Asia/Ho_Chi_Minh"
    settle_seconds: float = Field(
        default=900.0, ge=0, description="Figures must be unchanged this long before a verdict (late data)."
    )
    escalation_days: int = Field(default=30, ge=1, description="A miss unresolved this long goes to the parent's agency.")
    lowest_children: int = Field(default=3, ge=0, le=20, description="Lowest hamlets (or communes) listed in an alert.")
    evaluate_interval_seconds: float = Field(default=30.0, gt=0)
    deliver_interval_seconds: float = Field(default=5.0, gt=0)

    @field_validator("mail_from")
    @classmethod
    def _one_sender(cls, value: str) -> str:
        _, address = parseaddr(value)
        if any(c in value for c in "\r\n") or "@" not in address:
            raise ValueError(f"{value!r} is not one sender address such as 'hoctap <no-reply@example.vn>'")
        return value

    @field_validator("reporting_cutoff", "interim_checkpoint")
    @classmethod
    def _month_day(cls, value: str) -> str:
        parse_month_day(value)
        return value

    @model_validator(mode="after")
    def _calendar_and_tls(self) -> Self:
        self.calendar()  # checkpoint before cut-off, a known zone
        if self.smtp_starttls and self.smtp_use_tls:
            raise ValueError("choose smtp_starttls (587) or smtp_use_tls (465), not both")
        return self

    def calendar(self) -> ReportingCalendar:
        return ReportingCalendar(self.interim_checkpoint, self.reporting_cutoff, self.timezone)

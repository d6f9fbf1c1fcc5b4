"""Registry settings (environment prefix REGISTRY_, falling back to HOCTAP_)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class RegistrySettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    service_name: str = "registry"
    http_port: int = 8081

"""`python -m services.metrics serve|migrate`."""

import sys
from pathlib import Path

from shared.cli import run_service_cli

from .app import build_app
from .settings import MetricsSettings

if __name__ == "__main__":
    sys.exit(
        run_service_cli(
            service="metrics",
            settings_factory=MetricsSettings,
            app_factory=build_app,
            migrations_dir=Path(__file__).parent / "migrations",
        )
    )

"""`python -m services.notifications serve|migrate`."""

import sys
from pathlib import Path

from shared.cli import run_service_cli

from .app import build_app
from .settings import NotificationsSettings

if __name__ == "__main__":
    sys.exit(
        run_service_cli(
            service="notifications",
            settings_factory=NotificationsSettings,
            app_factory=build_app,
            migrations_dir=Path(__file__).parent / "migrations",
        )
    )

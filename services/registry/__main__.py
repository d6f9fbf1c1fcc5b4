"""`python -m services.registry serve|migrate|import-areas|import-hamlets|resync`."""

import sys
from pathlib import Path

from shared.cli import run_service_cli

from .app import build_app
from .cli import COMMANDS
from .settings import RegistrySettings

if __name__ == "__main__":
    sys.exit(
        run_service_cli(
            service="registry",
            settings_factory=RegistrySettings,
            app_factory=build_app,
            migrations_dir=Path(__file__).parent / "migrations",
            extra_commands=COMMANDS,
        )
    )

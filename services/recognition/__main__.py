"""`python -m services.recognition serve|migrate`."""

import sys
from pathlib import Path

from shared.cli import run_service_cli

from .app import build_app
from .settings import RecognitionSettings

if __name__ == "__main__":
    sys.exit(
        run_service_cli(
            service="recognition",
            settings_factory=RecognitionSettings,
            app_factory=build_app,
            migrations_dir=Path(__file__).parent / "migrations",
        )
    )

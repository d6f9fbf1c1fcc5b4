"""`python -m services.recognition serve|migrate|simulate|reevaluate`."""

import sys
from pathlib import Path

from shared.cli import Command, run_service_cli

from .adapters.cli import (
    reevaluate_arguments,
    reevaluate_command,
    simulate_arguments,
    simulate_command,
)
from .app import build_app
from .settings import RecognitionSettings

if __name__ == "__main__":
    sys.exit(
        run_service_cli(
            service="recognition",
            settings_factory=RecognitionSettings,
            app_factory=build_app,
            migrations_dir=Path(__file__).parent / "migrations",
            extra_commands={
                "simulate": Command(
                    "what-if: evaluate a candidate rule set against the current population for a year "
                    "(no writes, no events)",
                    simulate_command,
                    simulate_arguments,
                ),
                "reevaluate": Command(
                    "evaluate the entities that have no decision under the rules now in force (or all of them)",
                    reevaluate_command,
                    reevaluate_arguments,
                ),
            },
        )
    )

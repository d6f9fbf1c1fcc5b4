"""`python -m services.metrics serve|migrate|rebuild|reconcile`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from shared.cli import run_service_cli
from shared.db import create_engine
from shared.outbox import notify_channel
from shared.settings import BaseServiceSettings

from .app import build_app
from .maintenance import rebuild, reconcile
from .settings import MetricsSettings


def _progress(line: str) -> None:
    print(line, flush=True)


def run_rebuild(settings: BaseServiceSettings, _args: argparse.Namespace) -> int:
    assert isinstance(settings, MetricsSettings)

    async def run() -> int:
        engine = create_engine(settings)
        try:
            await rebuild(
                engine,
                settings.rules(),
                namespace=notify_channel(settings.database_schema),
                progress=_progress,
            )
        finally:
            await engine.dispose()
        return 0

    return asyncio.run(run())


def run_reconcile(settings: BaseServiceSettings, _args: argparse.Namespace) -> int:
    assert isinstance(settings, MetricsSettings)

    async def run() -> int:
        engine = create_engine(settings)
        try:
            lines = await reconcile(engine, settings.rules(), progress=_progress)
        finally:
            await engine.dispose()
        for line in lines:
            print(line, flush=True)
        return 1 if lines else 0

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    return run_service_cli(
        service="metrics",
        settings_factory=MetricsSettings,
        app_factory=build_app,
        migrations_dir=Path(__file__).parent / "migrations",
        argv=argv,
        extra_commands={
            "rebuild": (
                "recompute places, fact rows and every cell from the base tables (publishes changes)",
                run_rebuild,
            ),
            "reconcile": (
                "compare the kept cells with a from-scratch recount; exit 1 on any difference",
                run_reconcile,
            ),
        },
    )


if __name__ == "__main__":
    sys.exit(main())

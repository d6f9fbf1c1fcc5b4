"""The command line every service shares: `serve`, `migrate` and `replay-dead-letters` (services
add their own)."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .logging import configure_logging
from .settings import BaseServiceSettings


@dataclass(frozen=True)
class Command:
    """A service-specific command: its help, how to declare its arguments, and what it runs."""

    help: str
    run: Callable[[Any, argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def tune_garbage_collector(thresholds: tuple[int, int, int]) -> None:
    """Freeze what startup built (modules, schemas, the app) out of every later collection, and
    collect the young generations less often (see `BaseServiceSettings.gc_thresholds`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


def run_service_cli(
    *,
    service: str,
    settings_factory: Callable[[], BaseServiceSettings],
    app_factory: Callable[[Any], Any],
    migrations_dir: Path,
    argv: list[str] | None = None,
    extra_commands: dict[str, Command | tuple[str, Callable[[Any, argparse.Namespace], int]]] | None = None,
) -> int:
    extra = {name: c if isinstance(c, Command) else Command(c[0], c[1]) for name, c in (extra_commands or {}).items()}
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the service (HTTP, consumers, outbox relay)")
    commands.add_parser("migrate", help="bring the service's database schema up to date")
    from . import replay

    extra.setdefault("replay-dead-letters", Command(
        "send dead letters back to their topics once their cause is fixed (see shared/replay.py)",
        replay.command(service), replay.arguments,
    ))
    for name, command in extra.items():
        command.arguments(commands.add_parser(name, help=command.help))
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(service, settings.log_level)

    if args.command == "migrate":
        from .migrations import upgrade

        upgrade(settings, migrations_dir)
        return 0
    if args.command == "serve":
        import uvicorn

        app = app_factory(settings)
        tune_garbage_collector(settings.gc_thresholds)
        uvicorn.run(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=30,
        )
        return 0
    return extra[args.command].run(settings, args)

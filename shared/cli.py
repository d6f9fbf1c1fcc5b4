"""The command line every service shares: `serve`, `migrate` and `replay-dead-letters` (services
add their own)."""

from __future__ import annotations

import argparse
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

        uvicorn.run(
            app_factory(settings),
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=30,
        )
        return 0
    return extra[args.command].run(settings, args)

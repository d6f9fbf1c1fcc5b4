"""`python -m services.notifications serve|migrate|check-config|requeue KEY...`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from shared.cli import run_service_cli
from shared.db import create_engine
from shared.settings import BaseServiceSettings

from .adapters.queue import SqlMailQueue
from .app import build_app, build_policy
from .settings import NotificationsSettings


def check_config(settings: BaseServiceSettings, _args: argparse.Namespace) -> int:
    """Load the programme and the agency directory as `serve` would; print what they say."""
    assert isinstance(settings, NotificationsSettings)
    try:
        policy = build_policy(settings)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    programme, calendar = policy.programme, policy.calendar
    print(f"programme: {programme.name} ({programme.first_year}-{programme.last_year}), "
          f"{len(programme.targets)} targets, {len(programme.overrides)} area overrides")
    print(f"calendar: checkpoint {calendar.checkpoint}, cut-off {calendar.cutoff} ({calendar.zone})")
    for agency in policy.directory.agencies:
        covers = ", ".join(agency.areas) + (f" and their {'/'.join(lv.value for lv in agency.levels)} areas" if agency.levels else "")
        print(f"agency {agency.id} [{agency.language}; {'/'.join(r.value for r in agency.roles)}]: {covers} -> {len(agency.emails)} address(es)")
    return 0


def requeue(settings: BaseServiceSettings, args: argparse.Namespace) -> int:
    """Put e-mails that failed for good back in the queue (e.g. after an address was fixed)."""
    keys = [line.strip() for line in sys.stdin if line.strip()]
    if not keys:
        print("give the alert keys to requeue on standard input, one a line", file=sys.stderr)
        return 2

    async def run() -> list[str]:
        engine = create_engine(settings)
        try:
            return await SqlMailQueue(engine).requeue(keys, datetime.now(UTC))
        finally:
            await engine.dispose()

    done = asyncio.run(run())
    for key in keys:
        print(("requeued " if key in done else "not failed or unknown: ") + key)
    return 0 if len(done) == len(keys) else 1


if __name__ == "__main__":
    sys.exit(
        run_service_cli(
            service="notifications",
            settings_factory=NotificationsSettings,
            app_factory=build_app,
            migrations_dir=Path(__file__).parent / "migrations",
            extra_commands={
                "check-config": ("load the programme and agencies files and show what they say", check_config),
                "requeue": ("put failed e-mails back in the queue (alert keys on standard input)", requeue),
            },
        )
    )

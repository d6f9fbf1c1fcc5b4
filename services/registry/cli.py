"""Registry commands: import official area lists and hamlet lists, resync downstream services."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import date
from pathlib import Path
from typing import Any

from shared.cli import Command
from shared.db import create_engine
from shared.outbox import encode

from .adapters.db import OUTBOX, RegistrySqlUnitOfWork
from .domain.applier import Fact
from .domain.official_lists import REFORM_DAY, ListError, conversion_facts, detect_layout, hamlet_facts, unit_list_facts
from .domain.scope import UNRESTRICTED
from .handlers.inbound import entity_key
from .handlers.processing import Submission, process
from .handlers.resync import KINDS, resync
from .settings import RegistrySettings


def _progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r{label:<24} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def apply_facts(settings: RegistrySettings, facts: list[Any], *, actor: str, chunk: int = 500) -> dict[str, int]:
    """Apply facts as an operator (unrestricted scope) in chunks; the service's relay publishes them."""
    from datetime import UTC, datetime

    engine = create_engine(settings)
    counts: dict[str, int] = {}
    try:
        for start in range(0, len(facts), chunk):
            now = datetime.now(UTC)
            part = facts[start : start + chunk]
            submissions = [
                Submission(Fact(data, now), entity_key(data), f"/cli/{actor}", f"{actor}/{start + i}/{now.isoformat()}", f"cli:{actor}", UNRESTRICTED)
                for i, data in enumerate(part)
            ]
            async with RegistrySqlUnitOfWork(engine, OUTBOX, f"hoctap_outbox_{settings.database_schema}") as uow:
                processed = await process(uow.store, submissions, enforce=False, today=now.date())
                await uow.outbox.add([encode(e, source="/hoctap/registry", now=now) for e in processed.events])
                await uow.commit()
            for result in processed.results:
                counts[result.status] = counts.get(result.status, 0) + 1
                if result.status in ("rejected", "waiting"):
                    sys.stderr.write(f"\n  {result.status}: {result.reason}\n")
            _progress(actor, min(start + chunk, len(facts)), len(facts))
    finally:
        await engine.dispose()
    return counts


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def import_areas(settings: RegistrySettings, args: argparse.Namespace) -> int:
    rows = _read_csv(args.csv)
    try:
        layout = detect_layout(rows)
        if layout == "unit-list":
            facts = unit_list_facts(rows, valid_from=args.valid_from, province=args.province)
        else:
            facts = conversion_facts(rows, effective_on=args.effective_on, old_province=args.province)
    except ListError as error:
        print(f"{args.csv}: {error}", file=sys.stderr)
        return 2
    print(f"{args.csv}: {layout}, {len(facts)} facts", file=sys.stderr)
    counts = asyncio.run(apply_facts(settings, facts, actor="import-areas"))
    print(counts)
    return 0 if not counts.get("rejected") else 1


def import_hamlets(settings: RegistrySettings, args: argparse.Namespace) -> int:
    try:
        facts = hamlet_facts(_read_csv(args.csv), commune=args.commune, valid_from=args.valid_from)
    except ListError as error:
        print(f"{args.csv}: {error}", file=sys.stderr)
        return 2
    counts = asyncio.run(apply_facts(settings, facts, actor="import-hamlets"))
    print(counts)
    return 0 if not counts.get("rejected") else 1


def run_resync(settings: RegistrySettings, args: argparse.Namespace) -> int:
    engine = create_engine(settings)

    async def go() -> dict[str, int]:
        from datetime import UTC, datetime

        try:
            return await resync(
                lambda: RegistrySqlUnitOfWork(engine, OUTBOX, f"hoctap_outbox_{settings.database_schema}"),
                clock=lambda: datetime.now(UTC),
                area=args.area,
                kinds=tuple(args.kinds),
                progress=lambda kind, done: sys.stderr.write(f"\r  {kind:<14} {done} snapshots queued"),
            )
        finally:
            await engine.dispose()

    counts = asyncio.run(go())
    print(f"\nqueued for publication: {counts}")
    return 0


def _areas_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", type=Path, required=True, help="the NSO unit list or the 2025 conversion table")
    parser.add_argument("--province", help="only this (old) province code, e.g. 84")
    parser.add_argument("--valid-from", type=date.fromisoformat, default=date(2020, 1, 1))
    parser.add_argument("--effective-on", type=date.fromisoformat, default=REFORM_DAY)


def _hamlet_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", type=Path, required=True, help="code,name[,kind] per hamlet")
    parser.add_argument("--commune", required=True)
    parser.add_argument("--valid-from", type=date.fromisoformat, default=date(2020, 1, 1))


def _resync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="only this area and everything in it")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))


COMMANDS = {
    "import-areas": Command("import the NSO unit list or the 2025 conversion table", import_areas, _areas_arguments),
    "import-hamlets": Command("import a commune's hamlet list", import_hamlets, _hamlet_arguments),
    "resync": Command("re-emit current state so downstream services can rebuild", run_resync, _resync_arguments),
}

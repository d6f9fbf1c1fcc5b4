"""The service's own commands: `simulate` (what-if, no side effects) and `reevaluate`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from shared.db import create_engine
from shared.events.vocabulary import Title
from shared.outbox import notify_channel

from ..domain.rule_book import RuleSetError
from ..domain.simulation import affected_titles, simulate
from ..handlers.reevaluate import check_rule_sets, reevaluate
from ..settings import RecognitionSettings
from .db import OUTBOX, RecognitionSqlUnitOfWork
from .population import load_population
from .rule_files import BUILT_IN, load_rule_book, load_rule_set
from .terminal import ProgressBar, render

PROGRESS_FROM = 2_000
"""Show a progress bar from this many evaluations on (small runs finish before it would draw)."""


def simulate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rule-set", required=True, type=Path, help="the candidate rule-set YAML file"
    )
    parser.add_argument("--year", required=True, type=int, help="the assessment year to simulate")
    parser.add_argument("--title", type=Title, choices=list(Title), help="report only this title")


def reevaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    parser.add_argument(
        "--title",
        type=Title,
        choices=list(Title),
        action="append",
        help="only this title (repeatable)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="re-evaluate every entity, not only those missing "
        "a decision under the rules now in force (emits only what changed)",
    )


def simulate_command(settings: RecognitionSettings, args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_simulate(settings, args))
    except RuleSetError as error:
        print(f"simulate: {error}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as error:
        print(
            f"simulate: cannot read the population from {settings.database_schema}: {error}",
            file=sys.stderr,
        )
        return 1


async def _simulate(settings: RecognitionSettings, args: argparse.Namespace) -> int:
    book = load_rule_book([BUILT_IN, *settings.rule_set_folders])
    candidate = load_rule_set(args.rule_set)
    trial = book.with_candidate(candidate, args.year)
    titles = (args.title,) if args.title else affected_titles(trial, candidate, args.year)
    engine = create_engine(settings)
    try:
        population = await load_population(engine, args.year)
    finally:
        await engine.dispose()
    total = 2 * population.size()
    progress = ProgressBar(total, "evaluations") if total >= PROGRESS_FROM else None
    report = await asyncio.to_thread(
        simulate, book, candidate, population, titles, progress.advance if progress else None
    )
    print(render(report))
    return 0


def reevaluate_command(settings: RecognitionSettings, args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_reevaluate(settings, args))
    except RuleSetError as error:
        print(f"reevaluate: {error}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as error:
        print(f"reevaluate: database {settings.database_schema}: {error}", file=sys.stderr)
        return 1


async def _reevaluate(settings: RecognitionSettings, args: argparse.Namespace) -> int:
    book = load_rule_book([BUILT_IN, *settings.rule_set_folders])
    engine = create_engine(settings)
    channel = notify_channel(settings.database_schema)

    def unit_of_work() -> RecognitionSqlUnitOfWork:
        return RecognitionSqlUnitOfWork(
            engine, OUTBOX, channel, lock_namespace=settings.database_schema
        )

    bar: ProgressBar | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if total >= PROGRESS_FROM:
            bar = bar or ProgressBar(total, "entity-years")
            bar.advance(done - bar.done)

    try:
        await check_rule_sets(book, unit_of_work)
        result = await reevaluate(
            book,
            unit_of_work,
            datetime.now(UTC),
            titles=args.title,
            years=args.year,
            only_missing=not args.all,
            progress=progress,
        )
    finally:
        await engine.dispose()
    print(
        f"re-evaluated {result.targets:,} entity-years; {result.decisions:,} decisions written to the outbox "
        f"(the running service publishes them)"
    )
    return 0

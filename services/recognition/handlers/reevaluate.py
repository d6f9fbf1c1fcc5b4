"""Re-evaluation when the rules change: at start-up and through the `reevaluate` command.

A rule version taking effect for a year leaves that year's entities without a decision in the
new series; `reevaluate(only_missing=True)` finds them and evaluates them into it (revision 1),
lower levels first, a chunk per transaction, through the same cascade (and locks) the consumers
use. Older series stay as they were. `only_missing=False` re-evaluates everything (a repair or an
audit): it emits only what changed.

A rule-set version is frozen once decisions are made under it: `check_rule_sets` refuses to
start when a file changed the content of a version already used (a new version is needed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.events.vocabulary import Title
from shared.outbox import encode

from ..domain.cascade import LEVEL, LEVELS
from ..domain.rule_book import RuleBook, RuleSetError, fingerprint
from .cascade import CascadeRun
from .telemetry import RecognitionMetrics

SOURCE = "/hoctap/recognition"
UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class Reevaluation:
    targets: int  # entity-years evaluated on purpose (cascades come on top)
    decisions: int  # decisions emitted (new series or changed revisions)


async def plan_targets(
    book: RuleBook,
    uow: Any,
    *,
    titles: Iterable[Title] | None,
    years: Iterable[int] | None,
    only_missing: bool,
) -> list[tuple[Title, str, int]]:
    wanted: list[tuple[Title, str, int]] = []
    year_filter = set(years) if years is not None else None
    for title in sorted(titles or LEVEL, key=lambda t: (LEVEL[t], t.value)):
        keys = await uow.store.evidence_keys(title, year_filter)
        by_year: dict[int, list[str]] = {}
        for entity, year in keys:
            if book.for_year(title, year) is not None:
                by_year.setdefault(year, []).append(entity)
        for year, entities in sorted(by_year.items()):
            if only_missing:
                decided = await uow.store.decided_keys(title, year, book.series_for(title, year))
                entities = [e for e in entities if e not in decided]
            wanted.extend((title, e, year) for e in sorted(entities))
    return wanted


async def reevaluate(
    book: RuleBook,
    unit_of_work: UnitOfWorkFactory,
    now: datetime,
    *,
    titles: Iterable[Title] | None = None,
    years: Iterable[int] | None = None,
    only_missing: bool = True,
    chunk_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
    metrics: RecognitionMetrics | None = None,
) -> Reevaluation:
    """Evaluate the entities the rule book has no current decision for (or all of them)."""
    async with unit_of_work() as uow:
        targets = await plan_targets(
            book, uow, titles=titles, years=years, only_missing=only_missing
        )
    emitted = done = 0
    for level in LEVELS:
        mine = [t for t in targets if LEVEL[t[0]] == level]
        for start in range(0, len(mine), chunk_size):
            chunk = mine[start : start + chunk_size]
            async with unit_of_work() as uow:
                run = CascadeRun(book, uow.store)
                for title, entity, year in chunk:
                    run.want((title, entity), {year}, f"reevaluate/{now.isoformat()}")
                events = await run.run()
                await uow.outbox.add([encode(event, source=SOURCE, now=now) for event in events])
                await uow.commit()
            emitted += len(events)
            done += len(chunk)
            if metrics is not None:
                metrics.count(run.decided, cascaded=run.cascade_evaluations)
            if progress is not None:
                progress(done, len(targets))
    return Reevaluation(len(targets), emitted)


async def check_rule_sets(book: RuleBook, unit_of_work: UnitOfWorkFactory) -> None:
    """Record each rule-set version's fingerprint; refuse one whose content changed since."""
    async with unit_of_work() as uow:
        seen = await uow.store.rule_sets_seen()
        changed = [
            f"{book.origins.get(r.series, r.id)}: version: {r.id} {r.version} differs from the rule set decisions "
            f"were made under (fingerprint {seen[r.series]} now {fingerprint(r)}); give the change a new version "
            f"and effective date instead of editing a version in use"
            for r in book.rule_sets
            if r.series in seen and seen[r.series] != fingerprint(r)
        ]
        if changed:
            raise RuleSetError("\n".join(changed))
        await uow.store.record_rule_sets(
            [
                {
                    "rule_set_id": r.id,
                    "rule_version": r.version,
                    "title": r.title.value,
                    "effective_from": r.effective.from_,
                    "fingerprint": fingerprint(r),
                }
                for r in book.rule_sets
                if r.series not in seen
            ]
        )
        await uow.commit()

"""The steps every handler shares: open new years, then change fact rows under their row locks.

Lock order, the same in every transaction so none waits on another in a cycle: areas, household
buckets, assessment years (per title, by name), fact rows (sorted keys), cells (per title).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared.events.vocabulary import Title

from ..domain.facts import DecisionFact, FactRow, Transition, with_leaf, with_registration
from ..domain.placement import Span, leaf_in
from ..ports import FactKey, MetricsStore
from .refresh import Changes


async def lock_years(
    store: MetricsStore, wanted: Mapping[Title, Iterable[int]], changes: Changes
) -> None:
    """Take each title's year lock (exclusive only when a year is new) and open the new years.

    Opening a year creates a fact row for every entity counting in it; `refresh` then recounts that
    year's cells whole instead of applying differences.
    """
    new: dict[Title, set[int]] = {}
    for title in sorted(wanted):
        years = set(wanted[title])
        new[title] = years - await store.known_years(title) if years else set()
    for title in sorted(wanted):
        await store.lock_years([title], exclusive=bool(new[title]))
    for title in sorted(wanted):
        if new[title]:
            for year in await store.add_years(title, sorted(new[title])):
                await store.open_year(title, year)
                changes.opened.add((title, year))


async def _apply(
    store: MetricsStore,
    title: Title,
    rows: dict[FactKey, FactRow],
    changed: dict[FactKey, FactRow],
    changes: Changes,
) -> None:
    transitions = [Transition(rows[key], row) for key, row in changed.items()]
    await store.write_facts(title, [t.after for t in transitions])
    changes.transitions.extend(transitions)


async def apply_decisions(
    store: MetricsStore, title: Title, decisions: Mapping[FactKey, DecisionFact], changes: Changes
) -> None:
    """The hot path: the store applies `with_decision` to every row and sums the differences."""
    for (year, leaf), difference in (await store.decide(title, decisions)).items():
        changes.add_difference((title, year, leaf), difference)


async def apply_registrations(
    store: MetricsStore,
    title: Title,
    registrations: Mapping[FactKey, tuple[bool, int]],
    changes: Changes,
) -> None:
    rows = await store.lock_facts(title, sorted(registrations))
    changed = {
        key: new
        for key, row in rows.items()
        if (new := with_registration(row, *registrations[key])) is not None
    }
    await _apply(store, title, rows, changed, changes)


async def place_entities(
    store: MetricsStore, title: Title, places: Mapping[str, tuple[Span, ...]], changes: Changes
) -> None:
    """Store where entities count and move their fact rows of every known year accordingly.

    The caller holds the title's year lock, so no year opens between reading the known years and
    moving the rows.
    """
    if not places:
        return
    await store.replace_places(title, places)
    years = await store.known_years(title)
    if not years:
        return
    wanted = {
        (entity, year): leaf_in(spans, year) for entity, spans in places.items() for year in years
    }
    existing = [key for key in await store.fact_keys_of(title, places) if key[1] in years]
    keys = {key for key, leaf in wanted.items() if leaf is not None} | set(existing)
    rows = await store.lock_facts(title, sorted(keys))
    changed = {
        key: new
        for key, row in rows.items()
        if (new := with_leaf(row, wanted.get(key))) is not None
    }
    await _apply(store, title, rows, changed, changes)

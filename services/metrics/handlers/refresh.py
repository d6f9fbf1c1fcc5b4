"""`refresh`: turn a batch's fact changes into cell changes, under the titles' cell locks.

Three kinds of change reach the cells: fact rows that changed (each one's contribution before and
after), whole years opened for the first time (recounted from the fact rows), and leaves whose
current unit changed (the crosswalk moved them: their whole contribution moves with them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.events.vocabulary import Title

from ..domain.cells import Cell, CellKey, Hierarchy, Tally, TallySum
from ..domain.facts import Transition
from ..domain.hierarchy import LEAF_LEVEL, current_code, hierarchies_for, leaf_cell_code
from ..domain.rules import MetricsRules
from ..ports import LeafYear, MetricsStore
from .book import CellBook


@dataclass
class Changes:
    """What a handler changed in the base facts, for `refresh` to carry into the cells."""

    transitions: list[Transition] = field(default_factory=list)
    opened: set[tuple[Title, int]] = field(default_factory=set)
    moved: dict[str, str] = field(default_factory=dict)  # leaf code -> its previous current code
    restructure: set[str] = field(default_factory=set)  # areas whose cells re-read parent and name
    differences: dict[LeafYear, Tally] = field(default_factory=dict)  # summed by the store already

    def add_difference(self, leaf: LeafYear, difference: Tally) -> None:
        self.differences[leaf] = self.differences.get(leaf, Tally()) + difference

    def __bool__(self) -> bool:
        return bool(
            self.transitions or self.opened or self.moved or self.restructure or self.differences
        )

    def titles(self) -> set[Title]:
        if self.moved or self.restructure:
            return set(Title)
        titles = {t.after.title for t in self.transitions} | {title for title, _ in self.opened}
        return titles | {title for title, _, _ in self.differences}


def leaf_differences(
    transitions: Iterable[Transition], skip: set[tuple[Title, int]]
) -> dict[LeafYear, Tally]:
    """The change each leaf's cells must take, from exact before/after contributions."""
    sums: dict[LeafYear, TallySum] = defaultdict(TallySum)
    for transition in transitions:
        before, after = transition.before, transition.after
        if (after.title, after.year) in skip:
            continue
        if before.leaf_code is not None:
            before.add_to(sums[(after.title, after.year, before.leaf_code)], -1)
        if after.leaf_code is not None:
            after.add_to(sums[(after.title, after.year, after.leaf_code)])
    differences = {key: total.tally() for key, total in sums.items()}
    return {key: tally for key, tally in differences.items() if not tally.is_zero}


async def refresh(store: MetricsStore, rules: MetricsRules, changes: Changes) -> list[Cell]:
    """Carry `changes` into every cell they affect; returns the cells whose shown figures changed."""
    if not changes:
        return []
    await store.lock_cells(sorted(changes.titles()))
    book = CellBook(store, rules)
    differences = leaf_differences(changes.transitions, changes.opened)
    for leaf, difference in changes.differences.items():
        if leaf[:2] not in changes.opened:
            differences[leaf] = differences.get(leaf, Tally()) + difference
    recounts = {
        (title, year): await store.leaf_tallies(title, year)
        for title, year in sorted(changes.opened)
    }
    moved_tallies = await store.tallies_at_leaves(changes.moved) if changes.moved else {}
    leaves = {leaf for _, _, leaf in differences} | set(changes.moved) | set(changes.moved.values())
    leaves |= {leaf for tallies in recounts.values() for leaf in tallies}
    await book.load_areas(leaves)

    def keys(title: Title, year: int, leaf: str) -> list[CellKey]:
        level = LEAF_LEVEL[title]
        return [
            CellKey(title, year, hierarchy, level, leaf_cell_code(hierarchy, leaf, book.areas))
            for hierarchy in hierarchies_for(year, rules.reform_date)
        ]

    deltas: dict[CellKey, Tally] = defaultdict(Tally)
    for (title, year, leaf), difference in differences.items():
        for key in keys(title, year, leaf):
            deltas[key] += difference
    for (title, year, leaf), now in moved_tallies.items():
        # The recount already holds this batch's own changes, which went to the new unit above.
        before = now - differences.get((title, year, leaf), Tally())
        level = LEAF_LEVEL[title]
        deltas[CellKey(title, year, Hierarchy.CURRENT, level, changes.moved[leaf])] -= before
        deltas[CellKey(title, year, Hierarchy.CURRENT, level, current_code(leaf, book.areas))] += (
            before
        )
    absolutes: dict[CellKey, Tally] = defaultdict(Tally)
    for (title, year), tallies in recounts.items():
        for leaf, tally in tallies.items():
            for key in keys(title, year, leaf):
                absolutes[key] += tally
    return await book.settle(
        {k: v for k, v in deltas.items() if not v.is_zero},
        dict(absolutes),
        set(changes.restructure),
    )

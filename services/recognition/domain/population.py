"""A whole year's population in memory, evaluated bottom-up through the cascade.

The what-if simulation runs it under two rule books; tests run it as a from-scratch oracle that
the service's incremental decisions must equal, whatever order the facts arrived in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.events.vocabulary import Title

from .cascade import LEVEL, LEVELS, derive_facts, titles_read
from .evaluation import Evaluation
from .membership import (
    AreaRecord,
    CitizenRecord,
    ClanRecord,
    Context,
    HouseholdRecord,
    UnitRecord,
    hamlet_in,
)
from .rule_book import RuleBook

Progress = Callable[[int], None]
"""Called with how many more entities were evaluated."""


@dataclass
class Population:
    """Everything recognition knows that matters for one assessment year."""

    year: int
    citizens: dict[str, CitizenRecord] = field(default_factory=dict)
    households: dict[str, HouseholdRecord] = field(default_factory=dict)
    units: dict[str, UnitRecord] = field(default_factory=dict)
    clans: dict[str, ClanRecord] = field(default_factory=dict)
    areas: dict[str, AreaRecord] = field(default_factory=dict)
    evidence: dict[Title, dict[str, Mapping[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def size(self, titles: set[Title] | None = None) -> int:
        return sum(len(v) for t, v in self.evidence.items() if titles is None or t in titles)


class _Indexes:
    """Members of each group for the year, built once per population."""

    def __init__(self, population: Population) -> None:
        year = population.year
        self.by_household: dict[str, list[CitizenRecord]] = defaultdict(list)
        self.by_unit: dict[str, list[CitizenRecord]] = defaultdict(list)
        for citizen in population.citizens.values():
            if citizen.household_id:
                self.by_household[citizen.household_id].append(citizen)
            for unit in citizen.unit_ids:
                self.by_unit[unit].append(citizen)
        self.by_clan: dict[str, list[HouseholdRecord]] = defaultdict(list)
        self.by_hamlet: dict[str, list[HouseholdRecord]] = defaultdict(list)
        for household in population.households.values():
            if household.clan_id:
                self.by_clan[household.clan_id].append(household)
            hamlet = hamlet_in(household, year)
            if hamlet:
                self.by_hamlet[hamlet].append(household)
        self.units = population.units

    def context(self, title: Title, entity_id: str, granted: frozenset[str]) -> Context:
        if title == Title.LEARNING_FAMILY:
            return Context(citizens=tuple(self.by_household.get(entity_id, ())), granted=granted)
        if title == Title.LEARNING_UNIT:
            unit = self.units.get(entity_id)
            snapshot = {"member_count": float(unit.member_count)} if unit else {}
            return Context(
                citizens=tuple(self.by_unit.get(entity_id, ())), granted=granted, snapshot=snapshot
            )
        if title == Title.LEARNING_CLAN:
            return Context(households=tuple(self.by_clan.get(entity_id, ())), granted=granted)
        if title == Title.LEARNING_COMMUNITY:
            return Context(households=tuple(self.by_hamlet.get(entity_id, ())), granted=granted)
        return Context()


def decide_all(
    book: RuleBook,
    population: Population,
    on_decision: Callable[[Title, str, Evaluation], None],
    progress: Progress | None = None,
) -> dict[Title, frozenset[str]]:
    """Evaluate every entity with evidence for the year, lower levels first; returns who is granted.

    Entities of a title without a rule set in force that year are skipped (no decision).
    """
    year = population.year
    indexes = _Indexes(population)
    granted: dict[Title, frozenset[str]] = {}
    for level in LEVELS:
        for title in sorted((t for t in LEVEL if LEVEL[t] == level), key=lambda t: t.value):
            rule_set = book.for_year(title, year)
            entries = population.evidence.get(title, {})
            if rule_set is None:
                if progress and entries:
                    progress(len(entries))
                continue
            plan = rule_set.plan()
            held = frozenset().union(*(granted.get(t, frozenset()) for t in titles_read(rule_set)))
            winners: set[str] = set()
            done = 0
            for entity_id in sorted(entries):
                facts = entries[entity_id]
                if rule_set.derived_facts:
                    facts = derive_facts(
                        rule_set, facts, entity_id, indexes.context(title, entity_id, held), year
                    )
                evaluation = plan.evaluate(facts)
                if evaluation.granted:
                    winners.add(entity_id)
                on_decision(title, entity_id, evaluation)
                done += 1
                if progress and done % 1000 == 0:
                    progress(1000)
            if progress and done % 1000:
                progress(done % 1000)
            granted[title] = frozenset(winners)
    return granted

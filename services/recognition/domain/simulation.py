"""What-if: the recognised share per province, commune and hamlet now and under a candidate rule
set, and how many entities flip each way. Pure: it reads a population, writes nothing.

"Now" is the population evaluated under the rule book in force (which is what the stored
decisions say, see the recount tests); shares are over the entities with evidence for the year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from shared.events.vocabulary import Title

from .cascade import LEVEL, titles_read
from .membership import hamlet_in
from .population import Population, Progress, decide_all
from .rule_book import RuleBook
from .rules import RuleSet

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AreaImpact:
    title: Title
    level: str  # province | commune | hamlet
    area_code: str
    area_name: str | None
    parent_code: str | None
    assessed: int
    recognised_now: int
    recognised_candidate: int
    gained: int  # not granted now, granted under the candidate
    lost: int  # granted now, not under the candidate

    @property
    def percent_now(self) -> float | None:
        return round(100 * self.recognised_now / self.assessed, 2) if self.assessed else None

    @property
    def percent_candidate(self) -> float | None:
        return round(100 * self.recognised_candidate / self.assessed, 2) if self.assessed else None


@dataclass(frozen=True, slots=True)
class SimulationReport:
    year: int
    candidate: tuple[str, str]
    replaces: tuple[str, str] | None
    titles: tuple[Title, ...]
    rows: tuple[AreaImpact, ...]


def affected_titles(book: RuleBook, candidate: RuleSet, year: int) -> tuple[Title, ...]:
    """The candidate's title and every title that counts it, directly or through the cascade."""
    found = {candidate.title}
    for _ in LEVEL:
        found |= {t for t in LEVEL if titles_read(book.for_year(t, year)) & found}
    return tuple(sorted(found, key=lambda t: (LEVEL[t], t.value)))


def simulate(
    book: RuleBook,
    candidate: RuleSet,
    population: Population,
    titles: Iterable[Title] | None = None,
    progress: Progress | None = None,
) -> SimulationReport:
    year = population.year
    trial = book.with_candidate(candidate, year)
    reported = tuple(titles) if titles is not None else affected_titles(trial, candidate, year)
    now = decide_all(book, population, lambda *_: None, progress)
    later = decide_all(trial, population, lambda *_: None, progress)
    counts: dict[tuple[Title, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for title in reported:
        for entity_id in population.evidence.get(title, {}):
            before, after = entity_id in now.get(title, ()), entity_id in later.get(title, ())
            for level, code in _places(population, title, entity_id):
                row = counts[(title, level, code)]
                row[0] += 1
                row[1] += before
                row[2] += after
                row[3] += after and not before
                row[4] += before and not after
    rows = []
    order = {"province": 0, "commune": 1, "hamlet": 2}
    for (title, level, code), (assessed, before, after, gained, lost) in sorted(
        counts.items(), key=lambda kv: (LEVEL[kv[0][0]], kv[0][0].value, order[kv[0][1]], kv[0][2])
    ):
        area = population.areas.get(code)
        rows.append(
            AreaImpact(
                title,
                level,
                code,
                area.name if area else None,
                area.parent_code if area else None,
                assessed,
                before,
                after,
                gained,
                lost,
            )
        )
    replaced = book.for_year(candidate.title, year)
    return SimulationReport(
        year, candidate.series, replaced.series if replaced else None, reported, tuple(rows)
    )


def _places(population: Population, title: Title, entity_id: str) -> list[tuple[str, str]]:
    """(level, area code) for the province, commune and hamlet an entity counts in."""
    year = population.year
    province = commune = hamlet = None
    if title in (Title.LEARNING_FAMILY, Title.LEARNING_CITIZEN):
        household_id = entity_id
        if title == Title.LEARNING_CITIZEN:
            citizen = population.citizens.get(entity_id)
            household_id = citizen.household_id if citizen and citizen.household_id else ""
        household = population.households.get(household_id)
        if household is not None:
            hamlet = hamlet_in(household, year) or household.hamlet_code
            province, commune = household.province_code, household.commune_code
    elif title == Title.LEARNING_UNIT:
        unit = population.units.get(entity_id)
        if unit is not None:
            province, commune = unit.province_code, unit.commune_code
    elif title == Title.LEARNING_CLAN:
        clan = population.clans.get(entity_id)
        if clan is not None:
            province, commune, hamlet = (
                clan.province_code,
                clan.home_commune_code,
                clan.home_hamlet_code,
            )
    else:
        hamlet = entity_id
    if hamlet is not None and hamlet in population.areas:
        area = population.areas[hamlet]
        commune = area.parent_code or commune
        province = area.province_code or province
    if commune is not None and province is None and commune in population.areas:
        province = population.areas[commune].province_code
    places = [("province", province or UNKNOWN), ("commune", commune or UNKNOWN)]
    if hamlet is not None:
        places.append(("hamlet", hamlet))
    return places

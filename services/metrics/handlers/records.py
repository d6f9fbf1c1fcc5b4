"""From events to the records the domain reads, refusing what is valid JSON but cannot be right.

Within a batch only the newest of each entity counts (highest version or revision), so the
handlers never depend on the order records arrived in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from shared.consumer import DeadLetter, Outcome, Received
from shared.events.recognition import TitleDecided, TitleDecidedCount
from shared.events.registry import (
    AdministrativeUnitChanged,
    CitizenChanged,
    ClanChanged,
    HouseholdChanged,
    Period,
    UnitChanged,
)
from shared.events.vocabulary import Level, Title

from ..domain.facts import DecisionFact
from ..domain.hierarchy import AreaRecord, ParentPeriod
from ..domain.placement import CitizenRecord, HomedRecord, HouseholdRecord
from ..ports import FactKey

ENTITY_KIND = {
    Title.LEARNING_FAMILY: "household",
    Title.LEARNING_CITIZEN: "citizen",
    Title.LEARNING_CLAN: "clan",
    Title.LEARNING_COMMUNITY: "hamlet",
    Title.LEARNING_UNIT: "unit",
}
OLDEST_BIRTH_YEAR = 1880

R = TypeVar("R")


def reject(outcome: Outcome, item: Received[Any], reason: str) -> None:
    outcome.dead_letters.append(DeadLetter(item.delivery, "rejected", reason, item.envelope))


def newest(
    items: Iterable[Received[Any]], key: Callable[[Any], Any], order: Callable[[Any], Any]
) -> list[Received[Any]]:
    best: dict[Any, Received[Any]] = {}
    for item in items:
        k = key(item.data)
        if k not in best or order(best[k].data) < order(item.data):
            best[k] = item
    return list(best.values())


def periods(history: tuple[Period, ...]) -> tuple[ParentPeriod, ...]:
    return tuple(ParentPeriod(p.code, p.valid_from, p.valid_to) for p in history)


def _bad_periods(history: tuple[Period, ...]) -> str | None:
    for p in history:
        if p.valid_to is not None and p.valid_to < p.valid_from:
            return f"a period at {p.code} ends ({p.valid_to}) before it starts ({p.valid_from})"
    return None


def area_record(item: Received[Any], outcome: Outcome) -> AreaRecord | None:
    data: AdministrativeUnitChanged = item.data
    problem = _bad_periods(data.parent_history)
    if data.level == Level.COUNTRY:
        problem = "metrics computes the country itself; the registry sends provinces and below"
    elif data.valid_to is not None and data.valid_to < data.valid_from:
        problem = f"valid_to {data.valid_to} is before valid_from {data.valid_from}"
    elif data.successor_code == data.code:
        problem = f"{data.code} names itself as its successor"
    if problem:
        reject(outcome, item, f"administrative unit {data.code}: {problem}")
        return None
    return AreaRecord(
        code=data.code,
        level=data.level,
        name=data.name,
        parent_code=data.parent_code,
        province_code=data.province_code,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        successor_code=data.successor_code,
        parent_history=periods(data.parent_history),
        version=data.version,
    )


def household_record(item: Received[Any], outcome: Outcome) -> HouseholdRecord | None:
    data: HouseholdChanged = item.data
    problem = _bad_periods(data.hamlet_history)
    if data.removed_on is not None and data.removed_on < data.registered_on:
        problem = f"removed_on {data.removed_on} is before registered_on {data.registered_on}"
    if problem:
        reject(outcome, item, f"household {data.household_id}: {problem}")
        return None
    return HouseholdRecord(
        data.household_id,
        data.hamlet_code,
        periods(data.hamlet_history),
        data.registered_on,
        data.removed_on,
        data.version,
    )


def citizen_record(
    item: Received[Any], outcome: Outcome, this_year_bound: int = 2100
) -> CitizenRecord | None:
    data: CitizenChanged = item.data
    if not OLDEST_BIRTH_YEAR <= data.birth_year <= this_year_bound:
        reject(
            outcome,
            item,
            f"citizen {data.citizen_id}: birth_year {data.birth_year} is not a plausible year",
        )
        return None
    return CitizenRecord(
        data.citizen_id, data.household_id, data.birth_year, data.removed_on, data.version
    )


def homed_record(item: Received[Any], outcome: Outcome) -> HomedRecord | None:
    data: ClanChanged | UnitChanged = item.data
    if isinstance(data, ClanChanged):
        entity_id, commune = data.clan_id, data.home_commune_code
    else:
        entity_id, commune = data.unit_id, data.commune_code
    problem = _bad_periods(data.commune_history)
    if problem:
        reject(outcome, item, f"{entity_id}: {problem}")
        return None
    return HomedRecord(
        entity_id, commune, periods(data.commune_history), data.registered_on, data.version
    )


def records(
    items: Iterable[Received[Any]],
    convert: Callable[[Received[Any], Outcome], R | None],
    outcome: Outcome,
) -> list[R]:
    return [r for item in items if (r := convert(item, outcome)) is not None]


def decisions_of(
    batch: list[Received[Any]], outcome: Outcome
) -> dict[Title, dict[FactKey, DecisionFact]]:
    """The decision each (title, entity, year) counts: the latest rule set's series, highest revision."""
    by_title: dict[Title, dict[FactKey, DecisionFact]] = {}
    for item in batch:
        data: TitleDecided | TitleDecidedCount = item.data
        title = data.title
        expected = ENTITY_KIND[title]
        if data.entity_kind != expected:
            reject(
                outcome,
                item,
                f"a {title.value} decision is about a {expected}, not a {data.entity_kind!r}",
            )
            continue
        fact = DecisionFact(
            data.granted and data.assessable,
            data.assessable,
            data.rule_version,
            data.rule_effective_from,
            data.revision,
        )
        decisions = by_title.get(title)
        if decisions is None:
            decisions = by_title[title] = {}
        key = (data.entity_id, data.year)
        kept = decisions.get(key)
        if kept is None or kept.order() < fact.order():
            decisions[key] = fact
    return by_title

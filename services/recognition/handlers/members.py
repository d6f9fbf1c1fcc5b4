"""The members the cascade counts for a batch of entities of one title, loaded in one go."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.events.vocabulary import Title

from ..domain.membership import CitizenRecord, Context, HouseholdRecord, UnitRecord
from ..ports import RecognitionStore


@dataclass
class Members:
    title: Title
    citizens: dict[str, list[CitizenRecord]] = field(default_factory=dict)
    households: dict[str, list[HouseholdRecord]] = field(default_factory=dict)
    units: dict[str, UnitRecord] = field(default_factory=dict)

    def ids_for(self, entities: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for entity in entities:
            found.update(c.citizen_id for c in self.citizens.get(entity, ()))
            found.update(h.household_id for h in self.households.get(entity, ()))
        return found

    def context(self, entity: str, granted: frozenset[str]) -> Context:
        unit = self.units.get(entity)
        return Context(
            citizens=tuple(self.citizens.get(entity, ())),
            households=tuple(self.households.get(entity, ())),
            granted=granted,
            snapshot={"member_count": float(unit.member_count)} if unit else {},
        )


async def load_members(store: RecognitionStore, title: Title, entities: list[str]) -> Members:
    members = Members(title)
    wanted = set(entities)
    if title == Title.LEARNING_FAMILY:
        grouped: dict[str, list[CitizenRecord]] = defaultdict(list)
        for citizen in await store.household_citizens(wanted):
            if citizen.household_id:
                grouped[citizen.household_id].append(citizen)
        members.citizens = dict(grouped)
    elif title == Title.LEARNING_UNIT:
        grouped = defaultdict(list)
        for citizen in await store.unit_citizens(wanted):
            for unit in set(citizen.unit_ids) & wanted:
                grouped[unit].append(citizen)
        members.citizens = dict(grouped)
        members.units = await store.units(wanted)
    elif title == Title.LEARNING_CLAN:
        by_clan: dict[str, list[HouseholdRecord]] = defaultdict(list)
        for household in await store.clan_households(wanted):
            if household.clan_id:
                by_clan[household.clan_id].append(household)
        members.households = dict(by_clan)
    elif title == Title.LEARNING_COMMUNITY:
        by_hamlet: dict[str, list[HouseholdRecord]] = defaultdict(list)
        for household in await store.hamlet_households(wanted):
            for code in {p.code for p in household.periods} & wanted:
                by_hamlet[code].append(household)
        members.households = dict(by_hamlet)
    return members

"""Loads a year's whole population from recognition's tables, read-only (for `simulate`)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events.vocabulary import Title

from ..domain.membership import (
    AreaRecord,
    CitizenRecord,
    ClanRecord,
    HouseholdRecord,
    Period,
    UnitRecord,
)
from ..domain.population import Population
from .db import AREAS, CITIZENS, CLANS, EVIDENCE, HOUSEHOLD_HAMLETS, HOUSEHOLDS, UNITS


async def load_population(engine: AsyncEngine, year: int) -> Population:
    """Every projection and the year's evidence, in a READ ONLY transaction: a simulation cannot
    write, even by mistake."""
    population = Population(year)
    async with engine.connect() as connection:
        await connection.execute(sa.text("set transaction read only"))
        periods: dict[str, list[Period]] = defaultdict(list)
        for r in await connection.execute(
            sa.select(HOUSEHOLD_HAMLETS).order_by(HOUSEHOLD_HAMLETS.c.valid_from)
        ):
            periods[r.household_id].append(Period(r.hamlet_code, r.valid_from, r.valid_to))
        for r in await connection.execute(sa.select(HOUSEHOLDS)):
            population.households[r.household_id] = HouseholdRecord(
                r.household_id,
                r.hamlet_code,
                r.commune_code,
                r.province_code,
                r.registered_on,
                r.removed_on,
                r.clan_id,
                tuple(periods.get(r.household_id, ())),
                r.version,
            )
        for r in await connection.execute(sa.select(CITIZENS)):
            population.citizens[r.citizen_id] = CitizenRecord(
                r.citizen_id,
                r.birth_year,
                r.household_id,
                tuple(r.unit_ids),
                r.removed_on,
                r.version,
            )
        for r in await connection.execute(sa.select(UNITS)):
            population.units[r.unit_id] = UnitRecord(
                r.unit_id, r.commune_code, r.province_code, r.member_count, r.version
            )
        for r in await connection.execute(sa.select(CLANS)):
            population.clans[r.clan_id] = ClanRecord(
                r.clan_id, r.home_commune_code, r.home_hamlet_code, r.province_code, r.version
            )
        for r in await connection.execute(sa.select(AREAS)):
            population.areas[r.code] = AreaRecord(
                r.code, r.level, r.name, r.parent_code, r.province_code, r.version
            )
        rows = await connection.execute(
            sa.select(EVIDENCE.c.title, EVIDENCE.c.entity_id, EVIDENCE.c.facts).where(
                EVIDENCE.c.year == year
            )
        )
        for r in rows:
            population.evidence[Title(r.title)][r.entity_id] = r.facts
        await connection.rollback()
    return population

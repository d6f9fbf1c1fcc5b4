"""Metrics use cases: fold registry and recognition events into indicator cells."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from shared.consumer import Outcome, Received
from shared.events.catalogue import METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.events.recognition import TitleDecided
from shared.events.registry import AdministrativeUnitChanged, HouseholdChanged
from shared.events.vocabulary import Level, Title
from shared.outbox import Outgoing

from .domain.cells import Cell, CellKey, Counts, membership_years, percent, revise, roll_up


class MetricsUnitOfWork(Protocol):
    store: Any

    async def commit(self) -> None: ...


async def on_administrative_units(batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime) -> Outcome:
    latest: dict[str, AdministrativeUnitChanged] = {}
    for item in batch:
        data: AdministrativeUnitChanged = item.data
        if data.code not in latest or latest[data.code].version < data.version:
            latest[data.code] = data
    await uow.store.upsert_areas(
        [
            {
                "code": d.code,
                "level": d.level.value,
                "name": d.name,
                "parent_code": d.parent_code,
                "province_code": d.province_code,
                "version": d.version,
            }
            for d in latest.values()
        ]
    )
    return Outcome()


async def on_households(batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime) -> Outcome:
    title = Title.LEARNING_FAMILY
    latest: dict[str, HouseholdChanged] = {}
    for item in batch:
        data: HouseholdChanged = item.data
        if data.household_id not in latest or latest[data.household_id].version < data.version:
            latest[data.household_id] = data
    existing = await uow.store.members(title, latest)
    rows = []
    hamlets: set[str] = set()
    for household_id, data in latest.items():
        before = existing.get(household_id)
        if before is not None and before.version >= data.version:
            continue
        from_year, until_year = membership_years(data.registered_on, data.removed_on)
        rows.append(
            {
                "title": title.value,
                "entity_id": household_id,
                "hamlet_code": data.hamlet_code,
                "commune_code": data.commune_code,
                "province_code": data.province_code,
                "from_year": from_year,
                "until_year": until_year,
                "version": data.version,
            }
        )
        hamlets.add(data.hamlet_code)
        if before is not None:
            hamlets.add(before.hamlet_code)
    await uow.store.save_members(rows)
    years = await uow.store.years(title)
    return await refresh(uow, {(title, year, hamlet) for year in years for hamlet in hamlets})


async def on_decisions(batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime) -> Outcome:
    latest: dict[tuple[Title, str, int], TitleDecided] = {}
    for item in batch:
        data: TitleDecided = item.data
        key = (data.title, data.entity_id, data.year)
        if key not in latest or latest[key].revision < data.revision:
            latest[key] = data
    by_title: dict[Title, list[TitleDecided]] = defaultdict(list)
    for data in latest.values():
        by_title[data.title].append(data)
    targets: set[tuple[Title, int, str]] = set()
    for title, decisions in by_title.items():
        changed = await uow.store.apply_decisions(
            [
                {
                    "title": title.value,
                    "entity_id": d.entity_id,
                    "year": d.year,
                    "granted": d.granted,
                    "rule_version": d.rule_version,
                    "revision": d.revision,
                }
                for d in decisions
            ]
        )
        new_years = await uow.store.add_years(title, (year for _, year in changed))
        if new_years:
            for hamlet in await uow.store.hamlets(title):
                targets.update((title, year, hamlet) for year in new_years)
        members = await uow.store.members(title, {entity for entity, _ in changed})
        for entity, year in changed:
            member = members.get(entity)
            if member is not None:
                targets.add((title, year, member.hamlet_code))
    return await refresh(uow, targets)


async def refresh(uow: MetricsUnitOfWork, targets: set[tuple[Title, int, str]]) -> Outcome:
    """Recount the given hamlet cells from base facts, then their communes and provinces."""
    outcome = Outcome()
    if not targets:
        return outcome
    store = uow.store
    ordered = sorted(targets)
    await store.lock(f"{t.value}|{y}|hamlet|{h}" for t, y, h in ordered)
    recounted = await store.recount_hamlets(ordered)
    previous = await store.cells((t, y, Level.HAMLET, h) for t, y, h in ordered)
    changed: list[Cell] = []
    communes: set[tuple[Title, int, str]] = set()
    for row in recounted:
        key: CellKey = (Title(row.title), row.year, Level.HAMLET, row.hamlet)
        before = previous.get(key)
        commune, province = row.commune_code, row.province_code
        if commune is None and before is not None:
            commune, province = before.commune_code, before.province_code
        if commune is None or province is None:
            continue  # nobody has ever lived here: no cell to keep
        cell = revise(
            before,
            Cell(key[0], key[1], Level.HAMLET, key[3], commune, province, Counts(row.total, row.registered, row.recognised)),
        )
        if cell is not None:
            changed.append(cell)
        communes.add((key[0], key[1], commune))
        if before is not None and before.commune_code and before.commune_code != commune:
            communes.add((key[0], key[1], before.commune_code))
    await store.save_cells(changed)

    parent_changes, provinces = await _roll_up(store, Level.COMMUNE, Level.HAMLET, communes)
    changed += parent_changes
    province_changes, _ = await _roll_up(store, Level.PROVINCE, Level.COMMUNE, provinces)
    changed += province_changes

    names = await store.area_names(c.area_code for c in changed)
    outcome.events.extend(_indicator_event(cell, names.get(cell.area_code)) for cell in changed)
    return outcome


async def _roll_up(
    store: Any, level: Level, child_level: Level, parents: Iterable[tuple[Title, int, str]]
) -> tuple[list[Cell], set[tuple[Title, int, str]]]:
    parents = sorted(set(parents))
    if not parents:
        return [], set()
    await store.lock(f"{t.value}|{y}|{level.value}|{code}" for t, y, code in parents)
    children = await store.children(child_level, parents)
    grouped: dict[tuple[Title, int, str], list[Cell]] = defaultdict(list)
    for child in children:
        parent = child.commune_code if child_level == Level.HAMLET else child.province_code
        grouped[(child.title, child.year, parent)].append(child)
    previous = await store.cells((t, y, level, code) for t, y, code in parents)
    changed: list[Cell] = []
    grandparents: set[tuple[Title, int, str]] = set()
    for title, year, code in parents:
        members = grouped.get((title, year, code), [])
        before = previous.get((title, year, level, code))
        if not members and before is None:
            continue
        province = members[0].province_code if members else before.province_code  # type: ignore[union-attr]
        candidate = Cell(
            title,
            year,
            level,
            code,
            code if level == Level.COMMUNE else None,
            province,
            roll_up(m.counts for m in members),
        )
        cell = revise(before, candidate)
        if cell is not None:
            changed.append(cell)
        grandparents.add((title, year, province))
    await store.save_cells(changed)
    return changed, grandparents


def _indicator_event(cell: Cell, area_name: str | None) -> Outgoing:
    counts = cell.counts
    return Outgoing(
        topic=METRICS_INDICATORS,
        key=cell.area_code,
        data=IndicatorChanged(
            title=cell.title,
            year=cell.year,
            level=cell.level,
            area_code=cell.area_code,
            area_name=area_name,
            parent_code=cell.parent_code,
            total=counts.total,
            registered=counts.registered,
            recognised=counts.recognised,
            ratio_all=percent(counts.recognised, counts.total),
            ratio_registered=percent(counts.recognised, counts.registered),
            revision=cell.revision,
        ),
        id_seed=f"metrics/{cell.title.value}/{cell.year}/{cell.level.value}/{cell.area_code}/{cell.revision}",
    )

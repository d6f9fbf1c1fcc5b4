"""Metrics use cases: fold registry snapshots, registrations and decisions into indicator cells.

Each handler takes (batch, unit of work, now) and returns the IndicatorChanged events of every
cell whose shown figures changed (so notifications never polls), plus dead letters for records
that are valid JSON but make no sense here (a registration on another entity's topic, a removal
before a registration).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.consumer import Outcome, Received
from shared.events.vocabulary import Title

from ..domain.rules import MetricsRules
from ..ports import MetricsUnitOfWork
from . import refresh as refreshing
from .areas import handle_areas
from .entities import handle_citizens, handle_homed, handle_households, split_registrations
from .events import indicator_events
from .pipelines import apply_decisions, lock_years
from .records import decisions_of
from .refresh import Changes

__all__ = ["Changes", "MetricsHandlers"]


class MetricsHandlers:
    """The topic handlers, bound to the rules (reform date, tolerance, programme targets)."""

    def __init__(self, rules: MetricsRules) -> None:
        self.rules = rules

    async def _finish(self, uow: MetricsUnitOfWork, changes: Changes, outcome: Outcome) -> Outcome:
        cells = await refreshing.refresh(uow.store, self.rules, changes)
        if changes.opened:
            await uow.store.refresh_statistics()
        outcome.events.extend(indicator_events(cells))
        return outcome

    async def on_administrative_units(
        self, batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime
    ) -> Outcome:
        outcome, changes = Outcome(), Changes()
        registrations, snapshots = split_registrations(batch, Title.LEARNING_COMMUNITY, outcome)
        await handle_areas(uow.store, snapshots, registrations, changes, outcome)
        return await self._finish(uow, changes, outcome)

    async def on_households(
        self, batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime
    ) -> Outcome:
        outcome, changes = Outcome(), Changes()
        registrations, snapshots = split_registrations(batch, Title.LEARNING_FAMILY, outcome)
        await handle_households(uow.store, snapshots, registrations, changes, outcome)
        return await self._finish(uow, changes, outcome)

    async def on_citizens(
        self, batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime
    ) -> Outcome:
        outcome, changes = Outcome(), Changes()
        registrations, snapshots = split_registrations(batch, Title.LEARNING_CITIZEN, outcome)
        await handle_citizens(uow.store, snapshots, registrations, changes, outcome)
        return await self._finish(uow, changes, outcome)

    async def on_clans(
        self, batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime
    ) -> Outcome:
        return await self._homed(Title.LEARNING_CLAN, batch, uow)

    async def on_units(
        self, batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime
    ) -> Outcome:
        return await self._homed(Title.LEARNING_UNIT, batch, uow)

    async def _homed(
        self, title: Title, batch: list[Received[Any]], uow: MetricsUnitOfWork
    ) -> Outcome:
        outcome, changes = Outcome(), Changes()
        registrations, snapshots = split_registrations(batch, title, outcome)
        await handle_homed(uow.store, title, snapshots, registrations, changes, outcome)
        return await self._finish(uow, changes, outcome)

    async def on_decisions(
        self, batch: list[Received[Any]], uow: MetricsUnitOfWork, now: datetime
    ) -> Outcome:
        outcome, changes = Outcome(), Changes()
        by_title = decisions_of(batch, outcome)
        await lock_years(
            uow.store, {title: {year for _, year in d} for title, d in by_title.items()}, changes
        )
        for title in sorted(by_title):
            await apply_decisions(uow.store, title, by_title[title], changes)
        return await self._finish(uow, changes, outcome)

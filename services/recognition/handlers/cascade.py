"""One transaction's cascade: lock, write inputs, evaluate, and pass changes one level up.

Level by level (citizens; families and units; clans and hamlets) the run locks every entity it
will write for or evaluate at that level, in sorted order, then writes the batch's snapshots and
evidence for them, then evaluates. So an entity is evaluated only while its lock is held, after
everything committed before it was taken; any transaction that changes what an entity reads
evaluates it again afterwards. The last evaluation therefore sees every input, whatever order the
facts arrived in, and locks taken in one global order cannot deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from shared.events.catalogue import RECOGNITION_DECISIONS
from shared.events.vocabulary import Title
from shared.outbox import Outgoing

from ..domain.cascade import (
    LEVEL,
    LEVELS,
    Target,
    citizen_dependents,
    derive_facts,
    household_dependents,
    titles_read,
)
from ..domain.decisions import DecisionState, content_json, digest_of, next_decision, to_event, with_revision
from ..domain.rule_book import RuleBook
from ..ports import RecognitionStore
from .intake import Intake
from .members import load_members

ALL_YEARS = None


class CascadeRun:
    def __init__(self, book: RuleBook, store: RecognitionStore) -> None:
        self.book = book
        self.store = store
        self.wanted: dict[Target, set[int] | None] = {}
        self.causes: dict[Target, str | None] = {}
        self.events: list[Outgoing] = []
        self.decided: list[DecisionState] = []
        self.cascaded: set[Target] = set()
        """Entities wanted because something they count changed (not their own facts)."""
        self.cascade_evaluations = 0

    def want(self, target: Target, years: set[int] | None, cause: str | None = None) -> None:
        """Evaluate `target` for these years (None: every year it has evidence for)."""
        if target in self.wanted:
            known = self.wanted[target]
            self.wanted[target] = None if known is None or years is None else known | years
        else:
            self.wanted[target] = None if years is None else set(years)
        self.causes.setdefault(target, cause)

    async def run(self, intake: Intake | None = None) -> list[Outgoing]:
        for level in LEVELS:
            guarded = intake.guarded(level) if intake else set()
            await self.store.lock(level, guarded | {t for t in self.wanted if LEVEL[t[0]] == level})
            if intake is not None:
                await self._write(level, intake)
            await self._evaluate(level)
        return self.events

    async def _write(self, level: int, intake: Intake) -> None:
        store = self.store
        for table in {0: ("citizen",), 1: ("household", "unit"), 2: ("clan", "area")}[level]:
            records = intake.snapshots.get(table, {})
            if not records:
                continue
            stored = await store.versions(table, records)
            newer = [r for key, r in records.items() if r.version > stored.get(key, 0)]
            if not newer:
                continue
            if table == "citizen":
                before = await store.citizens(r.citizen_id for r in newer)
                await store.save_citizens(newer)
                for record in newer:
                    cause = intake.guards.get((Title.LEARNING_CITIZEN, record.citizen_id))
                    for target in citizen_dependents(
                        before.get(record.citizen_id)
                    ) | citizen_dependents(record):
                        self.want(target, ALL_YEARS, cause)
                        self.cascaded.add(target)
            elif table == "household":
                households = await store.households(r.household_id for r in newer)
                await store.save_households(newer)
                for record in newer:
                    cause = intake.guards.get((Title.LEARNING_FAMILY, record.household_id))
                    for target in household_dependents(
                        households.get(record.household_id)
                    ) | household_dependents(record):
                        self.want(target, ALL_YEARS, cause)
                        self.cascaded.add(target)
            elif table == "unit":
                await store.save_units(newer)
                for record in newer:
                    target = (Title.LEARNING_UNIT, record.unit_id)
                    self.want(target, ALL_YEARS, intake.guards.get(target))
            elif table == "clan":
                await store.save_clans(newer)
            else:
                await store.save_areas(newer)
        for title, rows in intake.evidence.items():
            if LEVEL[title] != level or not rows:
                continue
            stored_versions = await store.evidence_versions(title, rows)
            fresh = [
                (e, y, facts, v)
                for (e, y), (facts, v) in rows.items()
                if v > stored_versions.get((e, y), 0)
            ]
            await store.save_evidence(title, fresh)
            for entity, year, _, _ in fresh:
                self.want((title, entity), {year}, intake.guards.get((title, entity)))

    async def _evaluate(self, level: int) -> None:
        for title in sorted((t for t in LEVEL if LEVEL[t] == level), key=lambda t: t.value):
            targets = {entity: years for (t, entity), years in self.wanted.items() if t == title}
            if targets:
                await self._evaluate_title(title, targets)

    async def _evaluate_title(self, title: Title, targets: dict[str, set[int] | None]) -> None:
        evidence = await self.store.evidence(title, targets)
        jobs = sorted(
            (entity, year)
            for entity, year in evidence
            if targets[entity] is None or year in targets[entity]  # type: ignore[operator]
        )
        by_year: dict[int, list[str]] = defaultdict(list)
        for entity, year in jobs:
            if self.book.for_year(title, year) is not None:
                by_year[year].append(entity)
        if not by_year:
            return
        self.cascade_evaluations += sum(
            1 for entities in by_year.values() for e in entities if (title, e) in self.cascaded
        )
        derives = any(self.book.for_year(title, y).derived_facts for y in by_year)  # type: ignore[union-attr]
        members = await load_members(self.store, title, [e for e, _ in jobs]) if derives else None
        keys = [
            (e, y, *self.book.for_year(title, y).series) for y, es in by_year.items() for e in es
        ]  # type: ignore[union-attr]
        previous = await self.store.decisions(title, keys)
        changed: list[DecisionState] = []
        bodies: list[bytes] = []
        flipped: list[tuple[str, int]] = []
        for year, entities in sorted(by_year.items()):
            rule_set = self.book.for_year(title, year)
            assert rule_set is not None
            granted = (
                await self._granted_members(rule_set, year, members, entities)
                if members
                else frozenset()
            )
            for entity in entities:
                facts: dict[str, Any] = evidence[(entity, year)]
                if rule_set.derived_facts and members is not None:
                    context = members.context(entity, granted)
                    facts = derive_facts(rule_set, facts, entity, context, year)
                candidate = to_event(
                    rule_set.plan().evaluate(facts),
                    title=title,
                    entity_id=entity,
                    year=year,
                    effective_from=rule_set.effective.from_,
                )
                before = previous.get((entity, year))
                content = content_json(candidate)
                digest = digest_of(content)
                decision = next_decision(before, candidate, digest)
                if decision is None:
                    continue
                changed.append(DecisionState(title, entity, year, decision.revision, decision, digest))
                bodies.append(with_revision(content, decision.revision))
                # Dependents count the series in force: a new series (or a changed grant) changes their count.
                if before is None or decision.granted != before.granted:
                    flipped.append((entity, year))
        await self.store.save_decisions(changed, bodies)
        for state, body in zip(changed, bodies, strict=True):
            self._emit(state, body)
        await self._propagate(title, flipped)

    async def _granted_members(
        self, rule_set: Any, year: int, members: Any, entities: list[str]
    ) -> frozenset[str]:
        held: set[str] = set()
        for held_title in titles_read(rule_set):
            series = self.book.series_for(held_title, year)
            if series is not None:
                held |= await self.store.granted(
                    held_title, year, series, members.ids_for(entities)
                )
        return frozenset(held)

    async def _propagate(self, title: Title, flipped: list[tuple[str, int]]) -> None:
        """A decision that changed between granted and not granted changes what its dependents
        count; the edges are read here, under the changed entities' locks."""
        if not flipped or title not in (Title.LEARNING_CITIZEN, Title.LEARNING_FAMILY):
            return
        ids = {entity for entity, _ in flipped}
        if title == Title.LEARNING_CITIZEN:
            citizens = await self.store.citizens(ids)
            dependents = {(e, y): citizen_dependents(citizens.get(e)) for e, y in flipped}
        else:
            households = await self.store.households(ids)
            dependents = {(e, y): household_dependents(households.get(e), y) for e, y in flipped}
        for (entity, year), targets in dependents.items():
            for target in targets:
                if title in titles_read(self.book.for_year(target[0], year)):
                    self.want(target, {year}, self.causes.get((title, entity)))
                    self.cascaded.add(target)

    def _emit(self, state: DecisionState, body: bytes) -> None:
        decision = state.decision
        self.decided.append(state)
        self.events.append(
            Outgoing(
                topic=RECOGNITION_DECISIONS,
                key=state.entity_id,
                data=decision,
                id_seed=(
                    f"recognition/{state.title.value}/{state.entity_id}/{state.year}/"
                    f"{decision.rule_set_id}/{decision.rule_version}/{decision.revision}"
                ),
                correlation_id=self.causes.get((state.title, state.entity_id)),
                value=body,
            )
        )

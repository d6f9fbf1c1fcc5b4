"""A from-scratch evaluation of every fact, for comparing with what the service decided."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.recognition.domain.decisions import to_event
from services.recognition.domain.population import Population, decide_all
from services.recognition.domain.rule_book import RuleBook
from services.recognition.handlers.intake import EVIDENCE_EVENTS, snapshot_record
from shared.events.base import EventData
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title

TABLES = {
    "citizen": "citizens",
    "household": "households",
    "unit": "units",
    "clan": "clans",
    "area": "areas",
}


def population(events: Iterable[EventData], year: int) -> Population:
    """The year's population as the newest version of every fact says."""
    found = Population(year)
    versions: dict[Any, int] = {}
    for event in events:
        if type(event) in EVIDENCE_EVENTS:
            title, key = EVIDENCE_EVENTS[type(event)]
            if event.year != year:  # type: ignore[attr-defined]
                continue
            identity: Any = (title, getattr(event, key))
            if versions.get(identity, 0) < event.version:  # type: ignore[attr-defined]
                versions[identity] = event.version  # type: ignore[attr-defined]
                found.evidence[title][identity[1]] = event.evidence.model_dump(mode="json")  # type: ignore[attr-defined]
            continue
        table, guard, record = snapshot_record(event)
        if versions.get((table, guard[1]), 0) < record.version:
            versions[(table, guard[1])] = record.version
            getattr(found, TABLES[table])[guard[1]] = record
    return found


def decisions(
    book: RuleBook, events: list[EventData], years: Iterable[int]
) -> dict[tuple[Title, str, int], TitleDecided]:
    """Every decision, from scratch, as (title, entity, year) -> decision (revision 1)."""
    found: dict[tuple[Title, str, int], TitleDecided] = {}
    for year in years:

        def keep(title: Title, entity: str, evaluation: Any, year: int = year) -> None:
            rule_set = book.for_year(title, year)
            assert rule_set is not None
            found[(title, entity, year)] = to_event(
                evaluation,
                title=title,
                entity_id=entity,
                year=year,
                effective_from=rule_set.effective.from_,
            )

        decide_all(book, population(events, year), keep)
    return found


def comparable(decision: TitleDecided) -> dict[str, Any]:
    """A decision without its revision (which counts changes, and so depends on arrival order)."""
    return decision.model_dump(mode="json", exclude={"revision"})

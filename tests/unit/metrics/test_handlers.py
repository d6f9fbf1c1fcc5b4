"""The metrics handlers on an in-memory store: what they count, publish and refuse."""

import random
from typing import Any

from services.metrics.domain.cells import CellKey, Hierarchy
from services.metrics.domain.rules import MetricsRules
from services.metrics.handlers import MetricsHandlers
from shared.consumer import Outcome
from shared.events.catalogue import METRICS_INDICATORS, REGISTRY_HOUSEHOLDS
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title
from shared.programme import load_programme
from shared.testing import NOW, received

from .factories import (
    area,
    as_received,
    citizen,
    clan,
    decision,
    family_decision,
    household,
    period,
    province_map,
    registration,
    unit,
)
from .fakes import FakeMetricsUnitOfWork, MemoryMetricsStore

FAMILY = Title.LEARNING_FAMILY
CURRENT, RECORDED = Hierarchy.CURRENT, Hierarchy.RECORDED


class Service:
    """Routes events to the handler of their topic, one batch per call, like the consumers."""

    def __init__(self, store: MemoryMetricsStore | None = None) -> None:
        self.handlers = MetricsHandlers(MetricsRules.build(programme=load_programme()))
        self.uow = FakeMetricsUnitOfWork(store)
        self.outcomes: list[Outcome] = []

    async def send(self, *events: Any) -> list[IndicatorChanged]:
        routes = {
            "registry.administrative-unit.v1": self.handlers.on_administrative_units,
            "registry.household.v1": self.handlers.on_households,
            "registry.citizen.v1": self.handlers.on_citizens,
            "registry.clan.v1": self.handlers.on_clans,
            "registry.unit.v1": self.handlers.on_units,
            "recognition.decision.v1": self.handlers.on_decisions,
        }
        published = []
        for topic, handler in routes.items():
            batch = [item for item in map(as_received, events) if item.delivery.topic == topic]
            if batch:
                outcome = await handler(batch, self.uow, NOW)
                self.outcomes.append(outcome)
                published += [e.data for e in outcome.events if e.topic == METRICS_INDICATORS]
        return published

    def cell(
        self, title: Title, year: int, level: Level, code: str, hierarchy: Hierarchy = CURRENT
    ) -> Any:
        return self.uow.store.cells[CellKey(title, year, hierarchy, level, code)]

    def dead_letters(self) -> list[str]:
        return [letter.reason for outcome in self.outcomes for letter in outcome.dead_letters]


async def with_households(service: Service, count: int = 4, hamlet: str = "29401-01") -> None:
    await service.send(*province_map())
    await service.send(*(household(n, hamlet) for n in range(count)))


async def test_every_level_of_both_maps_gets_the_decisions_of_a_year_before_the_reform() -> None:
    service = Service()
    await with_households(service)
    published = await service.send(*(family_decision(n, 2024, n < 3) for n in range(4)))
    levels = {(e.hierarchy, e.level.value, e.area_code) for e in published}
    assert levels == {
        (h, level, code)
        for h in ("recorded", "current")
        for level, code in (
            ("hamlet", "29401-01"),
            ("commune", "29401"),
            ("district", "847"),
            ("province", "84"),
        )
    }
    province = service.cell(FAMILY, 2024, Level.PROVINCE, "84")
    assert (province.counts.total, province.counts.recognised, province.figures.ratio_all) == (
        4,
        3,
        75.0,
    )


async def test_opening_a_year_refreshes_the_planner_statistics_and_later_batches_do_not() -> None:
    service = Service()
    await with_households(service)
    await service.send(family_decision(0, 2024, True))
    assert service.uow.store.statistics_refreshed == 1
    await service.send(family_decision(1, 2024, True), family_decision(2, 2024, False))
    assert service.uow.store.statistics_refreshed == 1
    await service.send(family_decision(1, 2025, True))
    assert service.uow.store.statistics_refreshed == 2


async def test_a_redelivered_or_older_decision_publishes_nothing() -> None:
    service = Service()
    await with_households(service)
    await service.send(*(family_decision(n, 2024, True, revision=2) for n in range(4)))
    assert await service.send(family_decision(0, 2024, False, revision=1)) == []
    assert await service.send(family_decision(0, 2024, True, revision=2)) == []


async def test_a_correction_publishes_each_affected_cell_once_with_a_new_revision() -> None:
    service = Service()
    await with_households(service)
    first = await service.send(*(family_decision(n, 2024, True) for n in range(4)))
    corrected = await service.send(family_decision(1, 2024, False, revision=2))
    assert len(corrected) == len(first) == 8
    assert all(e.recognised == 3 and e.revision == 2 for e in corrected)


async def test_a_later_rule_set_replaces_the_decision_whatever_its_revision() -> None:
    service = Service()
    await with_households(service, count=1)
    await service.send(family_decision(0, 2024, True, revision=5))
    await service.send(
        family_decision(0, 2024, False, revision=1, rule_version="2024.1", effective="2024-01-01")
    )
    await service.send(family_decision(0, 2024, True, revision=9))  # the old series: ignored now
    hamlet = service.cell(FAMILY, 2024, Level.HAMLET, "29401-01")
    assert hamlet.counts.recognised == 0 and hamlet.tally.rule_versions == ("2024.1",)


async def test_households_without_decisions_make_the_area_insufficient_not_zero() -> None:
    service = Service()
    await service.send(*province_map())
    await service.send(
        *(household(n, "29401-01") for n in range(3)),
        *(household(10 + n, "29398-01") for n in range(3)),
    )
    published = await service.send(*(family_decision(10 + n, 2024, True) for n in range(3)))
    silent = service.cell(FAMILY, 2024, Level.COMMUNE, "29401")
    assert silent.figures.data_status == "insufficient" and silent.figures.ratio_all is None
    assert silent.figures.data_status_reason == "3 entities but no decisions for 2024"
    event = next(e for e in published if e.area_code == "29401" and e.hierarchy == "current")
    assert event.data_status == "insufficient" and event.ratio_all is None and event.total == 3


async def test_registrations_waiting_for_decisions_make_the_area_insufficient() -> None:
    service = Service()
    await with_households(service, count=10)
    await service.send(*(registration(FAMILY, f"hh-{n}", 2024) for n in range(10)))
    await service.send(*(family_decision(n, 2024, True) for n in range(5)))
    hamlet = service.cell(FAMILY, 2024, Level.HAMLET, "29401-01")
    assert (hamlet.counts.registered, hamlet.counts.assessed) == (10, 5)
    assert (
        hamlet.figures.data_status == "insufficient"
        and "5 of 10 registered" in hamlet.figures.data_status_reason
    )
    await service.send(*(family_decision(n, 2024, n < 7) for n in range(5, 10)))
    assert service.cell(FAMILY, 2024, Level.HAMLET, "29401-01").figures.ratio_all == 70.0


async def test_the_same_events_in_any_order_give_the_same_cells() -> None:
    events = [
        *province_map(),
        *(household(n, ("29398-01", "29398-02", "29401-01")[n % 3]) for n in range(9)),
        household(4, "29401-01", version=2),
        *(family_decision(n, year, (n + year) % 2 == 0) for n in range(9) for year in (2023, 2024)),
        family_decision(2, 2024, True, revision=3),
        registration(FAMILY, "hh-8", 2024),
    ]
    cells = []
    for seed in (1, 2, 3):
        shuffled = [*events]
        random.Random(seed).shuffle(shuffled)
        service = Service()
        for start in range(0, len(shuffled), 4):
            await service.send(*shuffled[start : start + 4])
        cells.append(
            {
                k: (c.counts, c.parent_code, c.figures)
                for k, c in service.uow.store.cells.items()
                if c.counts.total
            }
        )
    assert cells[0] == cells[1] == cells[2]


async def test_each_title_counts_its_own_entities_at_its_own_leaf() -> None:
    service = Service()
    await with_households(service, count=2)
    await service.send(citizen(1, 0), citizen(2, 0), citizen(3, 1, birth_year=2030))
    await service.send(clan(1, "29401"), unit(1, "29401"), unit(2, "29398"))
    await service.send(
        decision(Title.LEARNING_CITIZEN, "ct-1", 2024, True),
        decision(Title.LEARNING_CLAN, "clan-1", 2024, True),
        decision(Title.LEARNING_UNIT, "unit-1", 2024, False),
        decision(Title.LEARNING_COMMUNITY, "29401-01", 2024, True),
    )
    citizens = service.cell(Title.LEARNING_CITIZEN, 2024, Level.HAMLET, "29401-01")
    assert (citizens.counts.total, citizens.counts.recognised) == (2, 1)  # ct-3 is not born yet
    assert service.cell(Title.LEARNING_CLAN, 2024, Level.COMMUNE, "29401").counts.total == 1
    assert service.cell(Title.LEARNING_UNIT, 2024, Level.PROVINCE, "84").counts.total == 2
    communities = service.cell(Title.LEARNING_COMMUNITY, 2024, Level.COMMUNE, "29401")
    assert (communities.counts.total, communities.figures.ratio_all) == (1, 100.0)
    assert service.cell(Title.LEARNING_COMMUNITY, 2024, Level.COMMUNE, "29398").counts.total == 2


async def test_citizens_move_with_their_household() -> None:
    service = Service()
    await with_households(service, count=1)
    await service.send(citizen(1, 0), decision(Title.LEARNING_CITIZEN, "ct-1", 2024, True))
    moved = household(
        0,
        "29398-02",
        version=2,
        history=(period("29401-01", "2020-01-01", "2024-03-31"), period("29398-02", "2024-04-01")),
    )
    await service.send(moved)
    assert service.cell(Title.LEARNING_CITIZEN, 2024, Level.HAMLET, "29401-01").counts.total == 0
    assert (
        service.cell(Title.LEARNING_CITIZEN, 2024, Level.HAMLET, "29398-02").counts.recognised == 1
    )


async def test_the_country_appears_once_a_second_province_has_entities() -> None:
    service = Service()
    await with_households(service, count=2)
    await service.send(family_decision(0, 2024, True), family_decision(1, 2024, False))
    assert CellKey(FAMILY, 2024, CURRENT, Level.COUNTRY, "VN") not in service.uow.store.cells
    await service.send(
        area("83", Level.PROVINCE, None, province="83"),
        area("83001", Level.COMMUNE, "83", province="83"),
        area("83001-01", Level.HAMLET, "83001", province="83"),
    )
    await service.send(household("b", "83001-01"), family_decision("b", 2024, True))
    country = service.cell(FAMILY, 2024, Level.COUNTRY, "VN")
    assert (country.counts.total, country.counts.recognised, country.area_name) == (
        3,
        2,
        "Việt Nam",
    )


async def test_records_that_cannot_be_right_are_dead_lettered_with_the_reason() -> None:
    service = Service()
    await with_households(service, count=1)
    wrong_kind = decision(Title.LEARNING_CLAN, "hh-0", 2024, True).model_copy(
        update={"entity_kind": "household"}
    )
    await service.send(wrong_kind, registration(FAMILY, "hh-0", 2024))
    await service.send(household(1, "29401-01", registered="2024-01-01", removed="2023-01-01"))
    clan_on_household_topic = received(
        REGISTRY_HOUSEHOLDS, "clan-1", registration(Title.LEARNING_CLAN, "clan-1", 2024)
    )
    service.outcomes.append(
        await service.handlers.on_households([clan_on_household_topic], service.uow, NOW)
    )
    reasons = service.dead_letters()
    assert any("learning_clan decision is about a clan, not a 'household'" in r for r in reasons)
    assert any("removed_on 2023-01-01 is before registered_on 2024-01-01" in r for r in reasons)
    assert any(
        "learning_clan registration cannot travel on the learning_family" in r for r in reasons
    )
    assert len(reasons) == 3  # the family registration on the household topic is fine
    assert service.cell(FAMILY, 2024, Level.HAMLET, "29401-01").counts.registered == 1


async def test_a_renamed_area_republishes_its_cells() -> None:
    service = Service()
    await with_households(service, count=1)
    await service.send(family_decision(0, 2024, True))
    renamed = await service.send(
        area("29401", Level.COMMUNE, "847", name="Xã Hòa Lợi mới", version=2)
    )
    assert {(e.hierarchy, e.area_name) for e in renamed if e.area_code == "29401"} == {
        ("recorded", "Xã Hòa Lợi mới"),
        ("current", "Xã Hòa Lợi mới"),
    }

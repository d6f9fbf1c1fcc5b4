"""The cascade through the real handler, on in-memory stores: lower decisions feed higher ones,
changes propagate, and the final decisions do not depend on the order facts arrive in."""

import random
from datetime import date

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.domain.cascade import LEVEL
from services.recognition.handlers import RecognitionHandler
from shared.events.base import EventData
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Level, Title
from shared.testing import NOW, received

from . import oracle
from .factories import (
    HAMLETS,
    area,
    citizen,
    citizen_evidence,
    clan_evidence,
    community,
    family,
    household,
    province_history,
    routed,
    unit,
    unit_evidence,
)
from .fakes import FakeRecognitionUnitOfWork

BOOK = load_rule_book()
HANDLER = RecognitionHandler(BOOK)


async def feed(uow: FakeRecognitionUnitOfWork, *events: EventData) -> list[TitleDecided]:
    """One batch per topic, as the consumers would see it."""
    decided: list[TitleDecided] = []
    by_topic: dict[str, list] = {}  # type: ignore[type-arg]
    for event in events:
        topic, key = routed(event)
        by_topic.setdefault(topic.name, []).append(received(topic, key, event))
    for batch in by_topic.values():
        async with uow:
            outcome = await HANDLER(batch, uow, NOW)
            await uow.commit()
        assert outcome.dead_letters == []
        decided += [e.data for e in outcome.events]  # type: ignore[misc]
    return decided


def latest(decided: list[TitleDecided], title: Title, entity: str, year: int) -> TitleDecided:
    return [d for d in decided if (d.title, d.entity_id, d.year) == (title, entity, year)][-1]


async def test_a_citizen_recognised_later_raises_the_family_share_and_the_family_is_decided_again() -> (
    None
):
    uow = FakeRecognitionUnitOfWork()
    await feed(uow, household("hh-1", HAMLETS[0]), citizen("c-1", "hh-1"), citizen("c-2", "hh-1"))
    [first] = await feed(
        uow,
        family(
            "hh-1",
            2025,
            adults=2,
            adults_learning=2,
            adults_learning_citizens=None,
            cultural_family=False,
            has_internet_for_learning=False,
        ),
    )
    assert (
        not first.granted
        and first.facts["adults_learning_citizens"] == 0
        and first.facts["adults_learning_citizens.derived"]
    )
    decided = await feed(uow, citizen_evidence("c-1", 2025))
    family_again = latest(decided, Title.LEARNING_FAMILY, "hh-1", 2025)
    assert family_again.granted and family_again.revision == 2
    assert family_again.facts["adults_learning_citizens"] == 1


async def test_a_family_that_gives_its_own_count_is_not_recounted_from_decisions() -> None:
    uow = FakeRecognitionUnitOfWork()
    await feed(uow, household("hh-1", HAMLETS[0]), citizen("c-1", "hh-1"))
    [decision] = await feed(
        uow, family("hh-1", 2025, adults=2, adults_learning=2, adults_learning_citizens=2)
    )
    assert (
        decision.facts["adults_learning_citizens"] == 2
        and "adults_learning_citizens.derived" not in decision.facts
    )
    assert [d.title for d in await feed(uow, citizen_evidence("c-1", 2025))] == [
        Title.LEARNING_CITIZEN
    ]


async def test_a_family_recognised_late_makes_its_hamlet_a_learning_community() -> None:
    uow = FakeRecognitionUnitOfWork()
    await feed(
        uow,
        area(HAMLETS[0], Level.HAMLET, "29401"),
        household("hh-1", HAMLETS[0]),
        household("hh-2", HAMLETS[0]),
    )
    await feed(uow, family("hh-1", 2024), family("hh-2", 2024, adults=4, adults_learning=0))
    [hamlet] = await feed(uow, community(HAMLETS[0], 2024))
    assert (
        not hamlet.granted
        and hamlet.facts["households_recognised"] == 1
        and hamlet.facts["households"] == 2
    )
    decided = await feed(uow, family("hh-2", 2024, version=2))
    assert latest(decided, Title.LEARNING_COMMUNITY, HAMLETS[0], 2024).granted


async def test_a_household_moving_hamlet_is_counted_in_its_new_hamlet_from_the_year_it_moved() -> (
    None
):
    uow = FakeRecognitionUnitOfWork()
    await feed(uow, household("hh-1", HAMLETS[0]), household("hh-2", HAMLETS[1]))
    await feed(
        uow,
        family("hh-1", 2024),
        family("hh-1", 2025),
        family("hh-2", 2024, cultural_family=False, livelihood_improved=False),
        family("hh-2", 2025, cultural_family=False, livelihood_improved=False),
    )
    await feed(uow, *(community(h, y) for h in HAMLETS for y in (2024, 2025)))
    moved = household(
        "hh-1",
        HAMLETS[1],
        version=2,
        history=(("29401-01", "2020-01-01", "2025-05-31"), ("29401-02", "2025-06-01", None)),
    )
    decided = await feed(uow, moved)
    changed = {(d.entity_id, d.year): d for d in decided}
    assert set(changed) == {(HAMLETS[0], 2025), (HAMLETS[1], 2025)}  # 2024 is as it was
    left, joined = changed[(HAMLETS[0], 2025)], changed[(HAMLETS[1], 2025)]
    assert (left.facts["households"], left.facts["households_recognised"]) == (
        0,
        0,
    ) and not left.granted
    assert (joined.facts["households"], joined.facts["households_recognised"]) == (2, 1)


async def test_a_clan_counts_its_member_families_and_a_member_leaving_is_felt() -> None:
    uow = FakeRecognitionUnitOfWork()
    await feed(
        uow, household("hh-1", HAMLETS[0], clan="k"), household("hh-2", HAMLETS[0], clan="k")
    )
    await feed(uow, family("hh-1", 2024), family("hh-2", 2024, adults=4, adults_learning=0))
    [decision] = await feed(uow, clan_evidence("k", 2024))
    assert decision.granted and (
        decision.facts["member_families"],
        decision.facts["member_families_recognised"],
    ) == (2, 1)
    [after] = await feed(uow, household("hh-1", HAMLETS[0], version=2, clan=None))
    assert not after.granted and (
        after.facts["member_families"],
        after.facts["member_families_recognised"],
    ) == (1, 0)


async def test_a_unit_counts_its_members_learning_citizens_over_its_registered_size() -> None:
    uow = FakeRecognitionUnitOfWork()
    members = [citizen(f"c-{n}", None, units=("u",)) for n in range(9)]
    await feed(uow, *members, *(citizen_evidence(f"c-{n}", 2024) for n in range(9)))
    [early] = await feed(uow, unit_evidence("u", 2024, members=10))
    assert not early.assessable and early.missing_facts == ("member_count",)
    [sized] = await feed(uow, unit("u", members=10))
    assert (
        sized.granted
        and sized.facts["members_learning_citizens"] == 9
        and sized.facts["member_count"] == 10
    )
    [bigger] = await feed(uow, unit("u", members=12, version=2))
    item = next(
        i for c in bigger.criteria for i in c.items if i.id == "members_hold_learning_citizen"
    )
    assert (item.met, item.observed, bigger.total_points) == (False, 0.75, 80)


async def test_a_citizen_leaving_a_unit_lowers_its_count() -> None:
    uow = FakeRecognitionUnitOfWork()
    await feed(
        uow,
        unit("u", members=2),
        citizen("c-1", None, units=("u",)),
        citizen("c-2", None, units=("u",)),
    )
    await feed(uow, citizen_evidence("c-1", 2024), citizen_evidence("c-2", 2024))
    [decision] = await feed(uow, unit_evidence("u", 2024, members=2, emulation_title=False))
    assert decision.granted and decision.total_points == 90
    [after] = await feed(uow, citizen("c-2", None, units=(), version=2, removed=date(2024, 6, 1)))
    assert not after.granted and after.facts["members_learning_citizens"] == 1
    assert (
        "members_hold_learning_citizen: members_learning_citizens is 1 of member_count 2 (50%); 90% required (1 more)"
        in after.unmet
    )


async def test_evidence_with_unknown_indicators_is_not_assessable_and_names_them() -> None:
    [decision] = await feed(
        FakeRecognitionUnitOfWork(), citizen_evidence("c-1", 2024, uses_it_for_work=None)
    )
    assert (decision.assessable, decision.granted, decision.missing_facts) == (
        False,
        False,
        ("uses_it_for_work",),
    )
    assert decision.unmet[0] == "not assessable: missing facts uses_it_for_work"


async def test_locks_are_taken_level_by_level_in_one_order() -> None:
    uow = FakeRecognitionUnitOfWork()
    await feed(
        uow,
        household("hh-1", HAMLETS[0]),
        citizen("c-1", "hh-1"),
        family("hh-1", 2025, adults_learning_citizens=None),
    )
    uow.store.locks.clear()
    await feed(uow, citizen_evidence("c-1", 2025))
    levels = [level for level, targets in uow.store.locks if targets]
    assert levels == sorted(levels) and uow.store.locks[1][1] == [(Title.LEARNING_FAMILY, "hh-1")]


async def test_any_order_and_redelivery_of_the_same_facts_give_the_same_decisions_as_a_recount() -> (
    None
):
    history = province_history()
    expected = {
        k: oracle.comparable(v) for k, v in oracle.decisions(BOOK, history, (2024, 2025)).items()
    }
    assert {t for t, _, _ in expected} == set(LEVEL)  # every title is decided
    for seed in (1, 2, 3):
        shuffled = list(history)
        random.Random(seed).shuffle(shuffled)
        shuffled += shuffled[:: 4 + seed]  # redeliveries
        uow = FakeRecognitionUnitOfWork()
        rng = random.Random(seed)
        position = 0
        while position < len(shuffled):
            size = rng.randint(1, 9)
            await feed(uow, *shuffled[position : position + size])
            position += size
        final = {
            (t, e, y): oracle.comparable(s.decision)
            for t in LEVEL
            for (e, y), s in uow.store.current(t).items()
        }
        assert final == expected, f"order {seed} diverged"


async def test_the_metrics_count_decisions_by_outcome_and_the_entities_the_cascade_reevaluated() -> None:
    from prometheus_client import CollectorRegistry

    from services.recognition.handlers.telemetry import RecognitionMetrics

    registry = CollectorRegistry()
    handler = RecognitionHandler(BOOK, RecognitionMetrics(registry))
    uow = FakeRecognitionUnitOfWork()
    for event in (household("hh-1", HAMLETS[0]), citizen("c-1", "hh-1"),
                  family("hh-1", 2025, adults_learning_citizens=None, cultural_family=False, has_internet_for_learning=False),
                  citizen_evidence("c-1", 2025)):
        topic, key = routed(event)
        async with uow:
            await handler([received(topic, key, event)], uow, NOW)
            await uow.commit()
    sample = registry.get_sample_value
    assert sample("hoctap_recognition_decisions_total", {"title": "learning_family", "outcome": "not_granted"}) == 1
    assert sample("hoctap_recognition_decisions_total", {"title": "learning_family", "outcome": "granted"}) == 1
    assert sample("hoctap_recognition_cascade_evaluations_total") == 1  # the family, when its adult was recognised

"""Recognition on a real PostgreSQL through the real BatchConsumer, two replicas and every topic
at once: the final decisions depend only on the facts, never on their order or redeliveries."""

import random


from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.settings import RecognitionSettings
from tests.unit.recognition import oracle
from tests.unit.recognition.factories import province_history

from ..inbox_helpers import marked_events
from .helpers import current_decisions, feed, outbox_decisions, records

BOOK = load_rule_book()
YEARS = (2024, 2025)


def batches(items: list, seed: int) -> list[list]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    found, position = [], 0
    while position < len(items):
        size = rng.randint(1, 12)
        found.append(items[position : position + size])
        position += size
    return found


async def test_shuffled_orders_with_redeliveries_give_identical_decisions_equal_to_a_recount(
    make_settings,
) -> None:  # type: ignore[no-untyped-def]
    history = province_history(YEARS)
    expected = {k: oracle.comparable(v) for k, v in oracle.decisions(BOOK, history, YEARS).items()}
    in_order = records(history)
    outcomes = []
    for seed in (11, 12, 13):
        shuffled = list(in_order)
        random.Random(seed).shuffle(shuffled)
        shuffled += random.Random(seed).sample(
            shuffled, len(shuffled) // 3
        )  # redeliveries, some in the same batch
        settings = await make_settings(RecognitionSettings, variant=f"o{seed}")
        await feed(settings, BOOK, batches(shuffled, seed))
        outcomes.append(await current_decisions(settings, BOOK))
    assert outcomes[0] == expected
    assert outcomes[1] == expected and outcomes[2] == expected


async def test_every_stored_decision_was_published_with_its_trace_and_nothing_twice(
    make_settings,
) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RecognitionSettings)
    history = records(province_history(YEARS))
    await feed(settings, BOOK, batches(history + history[::5], seed=3))
    published = await outbox_decisions(settings)
    series = [(d.title, d.entity_id, d.year, d.rule_version, d.revision) for d in published]
    assert len(series) == len(set(series)), "a revision was published twice"
    last = {}
    for decision in published:
        last[(decision.title, decision.entity_id, decision.year)] = decision.model_dump(
            mode="json", exclude={"revision"}
        )
        assert decision.criteria and decision.facts, "a decision without its trace"
        assert decision.granted or decision.unmet, "a refusal without reasons"
    assert last == await current_decisions(settings, BOOK)


async def test_a_whole_redelivery_newest_first_publishes_nothing_and_marks_nothing(make_settings) -> None:  # type: ignore[no-untyped-def]
    """The consumers are `idempotent`: versions, not the inbox, make a second delivery a no-op."""
    settings = await make_settings(RecognitionSettings)
    history = records(province_history(YEARS))
    await feed(settings, BOOK, batches(history, seed=5))
    published, decided = len(await outbox_decisions(settings)), await current_decisions(settings, BOOK)
    await feed(settings, BOOK, batches(history[::-1], seed=6))
    assert len(await outbox_decisions(settings)) == published
    assert await current_decisions(settings, BOOK) == decided
    assert await marked_events(settings) == 0, "no dead letter, so nothing marked"

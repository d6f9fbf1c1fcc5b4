"""Rule versions and series: a new version for a year decides into a new series, leaves the old
series as it was, and cascades to the titles that count it; an edited version in use is refused."""

import copy
from pathlib import Path

import pytest
import yaml

from services.recognition.adapters.rule_files import BUILT_IN, load_rule_book
from services.recognition.domain.cascade import LEVEL
from services.recognition.domain.rule_book import RuleSetError
from services.recognition.handlers import RecognitionHandler, reevaluate
from services.recognition.handlers.reevaluate import check_rule_sets
from shared.events.catalogue import RECOGNITION_DECISIONS
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title
from shared.testing import NOW

from . import oracle
from .factories import province_history
from .fakes import FakeRecognitionUnitOfWork
from .test_cascade import feed

BOOK = load_rule_book()


def override(tmp_path: Path, title: str, version: str, start: str, **changes: object) -> Path:
    source = (
        next((BUILT_IN / title).glob("*.yaml"))
        if title != "learning_family"
        else BUILT_IN / title / "2025.1.yaml"
    )
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    document.update(version=version, effective={"from": start}, **changes)
    folder = tmp_path / "province"
    folder.mkdir(exist_ok=True)
    (folder / f"{title}.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    return folder


async def decided_history() -> FakeRecognitionUnitOfWork:
    uow = FakeRecognitionUnitOfWork()
    await feed(uow, *province_history())
    return uow


def published(uow: FakeRecognitionUnitOfWork) -> list[TitleDecided]:
    return [
        TitleDecided.model_validate_json(r.value) for r in uow.outbox.on(RECOGNITION_DECISIONS.name)
    ]  # type: ignore[arg-type]


async def test_a_new_version_for_a_year_decides_into_a_new_series_and_keeps_the_old_one(
    tmp_path: Path,
) -> None:
    uow = await decided_history()
    before = dict(uow.store.decision_rows)
    threshold = {"value": 90, "provisional": True}
    book = load_rule_book(
        [
            BUILT_IN,
            override(
                tmp_path, "learning_community", "2025.1-tv", "2025-01-01", threshold=threshold
            ),
        ]
    )
    result = await reevaluate(book, lambda: uow, NOW)
    new = published(uow)
    assert result.decisions == len(new) == 2 and {
        (d.entity_id, d.year, d.rule_version, d.revision) for d in new
    } == {("29401-01", 2025, "2025.1-tv", 1), ("29401-02", 2025, "2025.1-tv", 1)}
    assert all(d.threshold == 90 for d in new)
    assert {
        k: v for k, v in uow.store.decision_rows.items() if k in before
    } == before  # older series untouched
    assert (await reevaluate(book, lambda: uow, NOW)).decisions == 0  # nothing left to decide


async def test_a_new_family_version_cascades_to_the_clans_and_hamlets_that_count_families(
    tmp_path: Path,
) -> None:
    uow = await decided_history()
    book = load_rule_book(
        [
            BUILT_IN,
            override(
                tmp_path, "learning_family", "2025.2-tv", "2025-07-01", threshold={"value": 95}
            ),
        ]
    )
    await reevaluate(book, lambda: uow, NOW)
    expected = {
        k: oracle.comparable(v)
        for k, v in oracle.decisions(book, province_history(), (2024, 2025)).items()
    }
    final = {
        (t, e, y): oracle.comparable(s.decision)
        for t in LEVEL
        for (e, y), s in uow.store.current(t).items()
    }
    assert final == expected
    titles = {d.title for d in published(uow)}
    assert Title.LEARNING_FAMILY in titles and titles & {
        Title.LEARNING_CLAN,
        Title.LEARNING_COMMUNITY,
    }


async def test_consumers_decide_into_the_series_in_force(tmp_path: Path) -> None:
    book = load_rule_book(
        [BUILT_IN, override(tmp_path, "learning_community", "2025.1-tv", "2025-01-01")]
    )
    uow = FakeRecognitionUnitOfWork()
    async with uow:
        from .factories import community
        from .test_cascade import received, routed

        event = community("29401-01", 2025)
        topic, key = routed(event)
        outcome = await RecognitionHandler(book)([received(topic, key, event)], uow, NOW)
    assert [e.data.rule_version for e in outcome.events] == ["2025.1-tv"]  # type: ignore[attr-defined]


async def test_an_edited_version_already_used_is_refused_but_a_reworded_label_is_not(
    tmp_path: Path,
) -> None:
    uow = FakeRecognitionUnitOfWork()
    await check_rule_sets(BOOK, lambda: uow)
    family = yaml.safe_load(
        (BUILT_IN / "learning_family" / "2016.1.yaml").read_text(encoding="utf-8")
    )
    reworded = copy.deepcopy(family)
    reworded["criteria"][0]["label"]["en"] = "Learning of the children"
    edited = copy.deepcopy(family)
    edited["threshold"] = {"value": 85, "provisional": True}
    for name, document in (("reworded", reworded), ("edited", edited)):
        folder = tmp_path / name
        (folder / "learning_family").mkdir(parents=True)
        for other in BUILT_IN.rglob("*.yaml"):
            target = folder / other.relative_to(BUILT_IN)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(other.read_text(encoding="utf-8"), encoding="utf-8")
        (folder / "learning_family" / "2016.1.yaml").write_text(
            yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
        )
    await check_rule_sets(load_rule_book([tmp_path / "reworded"]), lambda: uow)
    with pytest.raises(
        RuleSetError,
        match=r"2016.1.yaml: version: learning-family 2016.1 differs from the rule set decisions were made under",
    ):
        await check_rule_sets(load_rule_book([tmp_path / "edited"]), lambda: uow)


async def test_a_decision_s_digest_ignores_its_revision_and_fact_order_but_not_what_it_says() -> None:
    from services.recognition.domain.decisions import StoredDecision, content_digest, next_decision

    uow = await decided_history()
    decision = next(s.decision for s in uow.store.current(Title.LEARNING_FAMILY).values() if len(s.decision.facts) > 1)
    reordered = decision.model_copy(update={"revision": decision.revision + 4, "facts": dict(reversed(decision.facts.items()))})
    assert content_digest(reordered) == content_digest(decision)
    stored = StoredDecision(decision.revision, decision.granted, content_digest(decision))
    assert next_decision(stored, reordered, content_digest(reordered)) is None

    changed = decision.model_copy(update={"total_points": decision.total_points + 1})
    assert content_digest(changed) != content_digest(decision)
    following = next_decision(stored, changed, content_digest(changed))
    assert following is not None and following.revision == decision.revision + 1
    first = next_decision(None, changed, content_digest(changed))
    assert first is not None and first.revision == 1


async def test_a_decision_s_body_is_its_content_with_the_revision_appended() -> None:
    from services.recognition.domain.decisions import content_json, digest_of, with_revision, content_digest

    uow = await decided_history()
    for state in uow.store.current(Title.LEARNING_CLAN).values():
        content = content_json(state.decision)
        assert with_revision(content, 7) == state.decision.model_copy(update={"revision": 7}).model_dump_json().encode()
        assert digest_of(content) == content_digest(state.decision) == state.digest

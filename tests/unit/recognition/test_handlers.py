"""The consumer use case on Learning Family evidence: versions, corrections, years without rules."""

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.handlers import RecognitionHandler
from shared.events.catalogue import RECOGNITION_DECISIONS, REGISTRY_HOUSEHOLDS
from shared.events.recognition import TitleDecided
from shared.events.registry import FamilyEvidenceRecorded
from shared.testing import NOW, family_evidence, received

from .fakes import FakeRecognitionUnitOfWork

HANDLER = RecognitionHandler(load_rule_book())


def evidence(version: int, year: int = 2024, **changes: object) -> FamilyEvidenceRecorded:
    return FamilyEvidenceRecorded(
        household_id="hh-1", year=year, evidence=family_evidence(**changes), version=version
    )


async def decide(
    uow: FakeRecognitionUnitOfWork, *events: FamilyEvidenceRecorded
) -> list[TitleDecided]:
    outcome = await HANDLER([received(REGISTRY_HOUSEHOLDS, "hh-1", e) for e in events], uow, NOW)
    assert all(e.topic == RECOGNITION_DECISIONS and e.key == "hh-1" for e in outcome.events)
    return [e.data for e in outcome.events]  # type: ignore[misc]


async def test_first_evidence_yields_a_decision_with_its_scores_and_rule_version() -> None:
    [decision] = await decide(FakeRecognitionUnitOfWork(), evidence(1))
    assert decision.granted and decision.total_points == 100 and decision.revision == 1
    assert (decision.rule_set_id, decision.rule_version) == ("learning-family", "2016.1")
    assert [c.id for c in decision.criteria] == [
        "children_learning",
        "adults_learning",
        "learning_conditions",
        "learning_effects",
    ]


async def test_a_correction_that_does_not_change_the_decision_emits_nothing() -> None:
    uow = FakeRecognitionUnitOfWork()
    await decide(uow, evidence(1))
    assert await decide(uow, evidence(2, has_internet_for_learning=True)) == []


async def test_a_correction_that_changes_the_decision_emits_the_next_revision_with_reasons() -> (
    None
):
    uow = FakeRecognitionUnitOfWork()
    await decide(uow, evidence(1))
    [changed] = await decide(
        uow, evidence(2, adults_learning=0, takes_part_in_community_learning=False)
    )
    assert not changed.granted and changed.revision == 2
    assert any("criterion adults_learning" in reason for reason in changed.unmet)


async def test_an_older_version_arriving_late_is_ignored() -> None:
    uow = FakeRecognitionUnitOfWork()
    await decide(uow, evidence(2, adults_learning=0, takes_part_in_community_learning=False))
    assert await decide(uow, evidence(1)) == []
    [state] = uow.store.decision_rows.values()
    assert not state.decision.granted


async def test_two_versions_in_one_batch_decide_on_the_latest() -> None:
    [decision] = await decide(
        FakeRecognitionUnitOfWork(), evidence(2, adults_learning=0), evidence(1)
    )
    assert not decision.granted


async def test_evidence_for_a_year_without_rules_is_dead_lettered_and_not_stored() -> None:
    uow = FakeRecognitionUnitOfWork()
    outcome = await HANDLER(
        [received(REGISTRY_HOUSEHOLDS, "hh-1", evidence(1, year=2015))], uow, NOW
    )
    [letter] = outcome.dead_letters
    assert letter.reason == "no learning_family rule set is in force for 2015"
    assert uow.store.evidence_rows == {}

"""The strict rule-set schema: what loads, and what fails naming the file, the key and the problem."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.recognition.adapters.rule_files import BUILT_IN, load_rule_book
from services.recognition.domain.rule_book import RuleBook, RuleSetError, parse_rule_set
from shared.events.vocabulary import Title

FAMILY = yaml.safe_load((BUILT_IN / "learning_family" / "2016.1.yaml").read_text(encoding="utf-8"))


def variant(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(FAMILY)
    document.update(changes)
    return document


def test_the_built_in_rule_book_loads_and_covers_learning_family_from_2016() -> None:
    book = load_rule_book()
    assert book.for_year(Title.LEARNING_FAMILY, 2015) is None
    rule_set = book.for_year(Title.LEARNING_FAMILY, 2024)
    assert rule_set is not None and rule_set.max_points == 100 and rule_set.threshold.provisional


def test_an_unknown_key_is_refused_naming_the_file_and_the_key() -> None:
    with pytest.raises(
        RuleSetError, match=r"family\.yaml: treshold: Extra inputs are not permitted"
    ):
        parse_rule_set(variant(treshold=70), "family.yaml")


def test_a_wrong_type_is_refused_naming_the_key() -> None:
    document = variant()
    document["criteria"][0]["items"][0]["max_points"] = "ten"
    with pytest.raises(RuleSetError, match=r"criteria\.0\.items\.0\.max_points"):
        parse_rule_set(document, "family.yaml")


def test_a_threshold_above_the_maximum_is_refused() -> None:
    with pytest.raises(RuleSetError, match=r"threshold 120 is above the maximum 100 points"):
        parse_rule_set(variant(threshold=120), "family.yaml")


def test_a_criterion_minimum_above_its_maximum_is_refused() -> None:
    document = variant()
    document["criteria"][2]["minimum"] = 25
    with pytest.raises(
        RuleSetError, match=r"criterion learning_conditions: minimum 25 is above its maximum 20"
    ):
        parse_rule_set(document, "family.yaml")


def test_reading_a_fact_the_evidence_does_not_have_is_refused() -> None:
    document = variant()
    document["criteria"][3]["items"][0]["score"]["fact"] = "owns_a_bookshelf"
    with pytest.raises(RuleSetError, match=r"reads unknown fact 'owns_a_bookshelf'"):
        parse_rule_set(document, "family.yaml")


def test_overlapping_effective_periods_of_one_title_are_refused(tmp_path: Path) -> None:
    override = variant(version="2024.1", effective={"from": "2024-01-01", "until": None})
    (tmp_path / "province.yaml").write_text(
        yaml.safe_dump(override, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(RuleSetError, match=r"province.yaml: effective: overlaps .*2016.1.yaml"):
        load_rule_book([BUILT_IN, tmp_path])


def test_a_province_override_with_a_later_period_takes_over_from_that_year() -> None:
    older = parse_rule_set(
        variant(effective={"from": "2016-01-01", "until": "2024-12-31"}), "a.yaml"
    )
    newer = parse_rule_set(
        variant(version="2025.1", threshold=85, effective={"from": "2025-01-01"}), "b.yaml"
    )
    book = RuleBook.of([(older, "a.yaml"), (newer, "b.yaml")])
    assert book.for_year(Title.LEARNING_FAMILY, 2024).version == "2016.1"  # type: ignore[union-attr]
    assert book.for_year(Title.LEARNING_FAMILY, 2025).threshold.value == 85  # type: ignore[union-attr]


def test_bare_numbers_are_verified_values_and_marked_ones_are_provisional() -> None:
    rule_set = parse_rule_set(FAMILY, "family.yaml")
    children = rule_set.criteria[0]
    assert not children.items[0].max_points.provisional
    assert rule_set.criteria[1].items[0].max_points.provisional


UNIT = yaml.safe_load((BUILT_IN / "learning_unit" / "2024.1.yaml").read_text(encoding="utf-8"))
CITIZEN = yaml.safe_load(
    (BUILT_IN / "learning_citizen" / "2022.1.yaml").read_text(encoding="utf-8")
)


def test_the_built_in_book_has_a_rule_set_for_every_title_in_every_year_from_2024() -> None:
    book = load_rule_book()
    for year in (2024, 2025, 2030):
        assert {t for t in Title if book.for_year(t, year) is not None} == set(Title), year


def test_a_province_rule_set_starting_later_takes_over_from_an_open_ended_built_in_one(
    tmp_path: Path,
) -> None:
    community = yaml.safe_load(
        (BUILT_IN / "learning_community" / "2016.1.yaml").read_text(encoding="utf-8")
    )
    community.update(version="2025.1-tv", effective={"from": "2025-01-01"})
    (tmp_path / "community.yaml").write_text(
        yaml.safe_dump(community, allow_unicode=True), encoding="utf-8"
    )
    book = load_rule_book([BUILT_IN, tmp_path])
    assert book.series_for(Title.LEARNING_COMMUNITY, 2024) == ("learning-community", "2016.1")
    assert book.series_for(Title.LEARNING_COMMUNITY, 2025) == ("learning-community", "2025.1-tv")


def test_two_rule_sets_of_one_title_starting_the_same_day_are_refused(tmp_path: Path) -> None:
    clone = variant(version="2025.9", effective={"from": "2025-01-01"})
    (tmp_path / "family.yaml").write_text(
        yaml.safe_dump(clone, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(RuleSetError, match=r"family.yaml: effective: overlaps .*2025.1.yaml"):
        load_rule_book([BUILT_IN, tmp_path])


def test_one_version_defined_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "copy.yaml").write_text(
        yaml.safe_dump(FAMILY, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(
        RuleSetError,
        match=r"copy.yaml: version: learning-family 2016.1 is also defined in .*2016.1.yaml",
    ):
        load_rule_book([BUILT_IN, tmp_path])


def test_a_key_given_twice_in_one_file_is_refused_with_its_line(tmp_path: Path) -> None:
    text = (BUILT_IN / "learning_family" / "2016.1.yaml").read_text(encoding="utf-8")
    (tmp_path / "twice.yaml").write_text(
        text.replace("threshold:", "threshold: 70\nthreshold:", 1), encoding="utf-8"
    )
    with pytest.raises(
        RuleSetError, match=r"twice.yaml: not valid YAML: .*key 'threshold' is given twice.*line"
    ):
        load_rule_book([tmp_path])


def test_a_title_read_through_the_wrong_entity_kind_is_refused() -> None:
    with pytest.raises(
        RuleSetError, match=r"family.yaml: entity_kind: clan does not match title learning_family"
    ):
        parse_rule_set(variant(entity_kind="clan"), "family.yaml")


def test_a_derived_fact_counting_a_group_the_entity_does_not_have_is_refused() -> None:
    document = copy.deepcopy(UNIT)
    document["derived_facts"]["members_learning_citizens"]["count"] = "households"
    with pytest.raises(
        RuleSetError,
        match=r"unit.yaml: derived_facts.members_learning_citizens.count: 'households' is not a group of a unit",
    ):
        parse_rule_set(document, "unit.yaml")


def test_a_derived_fact_holding_a_title_its_members_cannot_hold_is_refused() -> None:
    document = copy.deepcopy(UNIT)
    document["derived_facts"]["members_learning_citizens"]["holding"] = "learning_family"
    with pytest.raises(
        RuleSetError,
        match=r"members_learning_citizens.holding: members of members can hold learning_citizen, not learning_family",
    ):
        parse_rule_set(document, "unit.yaml")


def test_deriving_a_fact_the_evidence_always_gives_is_refused() -> None:
    document = copy.deepcopy(UNIT)
    document["derived_facts"]["members"] = {"count": "members"}
    with pytest.raises(
        RuleSetError,
        match=r"derived_facts.members: members is always given by the learning_unit evidence",
    ):
        parse_rule_set(document, "unit.yaml")


def test_a_derived_fact_needs_exactly_one_source() -> None:
    document = copy.deepcopy(UNIT)
    document["derived_facts"]["member_count"] = {"snapshot": "member_count", "count": "members"}
    with pytest.raises(
        RuleSetError,
        match=r"unit.yaml: derived_facts.member_count: Value error, give exactly one of count or snapshot",
    ):
        parse_rule_set(document, "unit.yaml")


def test_a_prerequisite_reading_an_unknown_fact_is_refused_naming_its_key() -> None:
    document = variant(
        prerequisites=[
            {
                "id": "cultural",
                "label": {"vi": "x", "en": "x"},
                "score": {"kind": "flag", "fact": "is_cultural"},
            }
        ]
    )
    with pytest.raises(
        RuleSetError,
        match=r"family.yaml: prerequisites.0.score.fact: reads unknown fact 'is_cultural'",
    ):
        parse_rule_set(document, "family.yaml")


def test_an_id_reserved_for_the_trace_is_refused() -> None:
    document = copy.deepcopy(CITIZEN)
    document["granted_outright_when"][0]["id"] = "prerequisites"
    with pytest.raises(
        RuleSetError, match=r"granted_outright_when.0.id: id 'prerequisites' is reserved"
    ):
        parse_rule_set(document, "citizen.yaml")


def test_every_error_of_a_file_is_reported_at_once() -> None:
    document = variant(threshold=120, entity_kind="unit")
    with pytest.raises(RuleSetError) as raised:
        parse_rule_set(document, "family.yaml")
    assert str(raised.value).count("family.yaml: ") == 2


def test_titles_without_verified_criteria_mark_every_number_provisional() -> None:
    from services.recognition.domain.rule_book import parameters

    book = load_rule_book()
    for title in (Title.LEARNING_CLAN, Title.LEARNING_COMMUNITY, Title.LEARNING_CITIZEN):
        rule_set = book.for_year(title, 2025)
        assert rule_set is not None
        unverified = [path for path, value in parameters(rule_set) if not value.provisional]
        assert unverified == [], f"{title.value}: {unverified}"


def test_a_candidate_must_be_in_force_in_the_simulated_year() -> None:
    candidate = parse_rule_set(
        variant(version="2030.1", effective={"from": "2030-01-01"}), "candidate.yaml"
    )
    with pytest.raises(
        RuleSetError,
        match=r"candidate learning-family 2030.1: effective: not in force on 31 December 2025",
    ):
        load_rule_book().with_candidate(candidate, 2025)

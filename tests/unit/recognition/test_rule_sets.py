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
    with pytest.raises(RuleSetError, match=r"family\.yaml: treshold: Extra inputs are not permitted"):
        parse_rule_set(variant(treshold=70), "family.yaml")


def test_a_wrong_type_is_refused_naming_the_key() -> None:
    document = variant()
    document["criteria"][0]["items"][0]["max_points"] = "ten"
    with pytest.raises(RuleSetError, match=r"criteria\.0\.items\.0\.max_points"):
        parse_rule_set(document, "family.yaml")


def test_a_threshold_above_the_maximum_is_refused() -> None:
    with pytest.raises(RuleSetError, match="threshold 120 is above the maximum 100 points"):
        parse_rule_set(variant(threshold=120), "family.yaml")


def test_a_criterion_minimum_above_its_maximum_is_refused() -> None:
    document = variant()
    document["criteria"][2]["minimum"] = 25
    with pytest.raises(RuleSetError, match="criterion learning_conditions: minimum 25 is above its maximum 20"):
        parse_rule_set(document, "family.yaml")


def test_reading_a_fact_the_evidence_does_not_have_is_refused() -> None:
    document = variant()
    document["criteria"][3]["items"][0]["score"]["fact"] = "owns_a_bookshelf"
    with pytest.raises(RuleSetError, match="reads unknown fact 'owns_a_bookshelf'"):
        parse_rule_set(document, "family.yaml")


def test_overlapping_effective_periods_of_one_title_are_refused(tmp_path: Path) -> None:
    override = variant(version="2024.1", effective={"from": "2024-01-01", "until": None})
    (tmp_path / "province.yaml").write_text(yaml.safe_dump(override, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleSetError, match="province.yaml: effective: overlaps .*2016.1.yaml"):
        load_rule_book([BUILT_IN, tmp_path])


def test_a_province_override_with_a_later_period_takes_over_from_that_year() -> None:
    older = parse_rule_set(variant(effective={"from": "2016-01-01", "until": "2024-12-31"}), "a.yaml")
    newer = parse_rule_set(variant(version="2025.1", threshold=85, effective={"from": "2025-01-01"}), "b.yaml")
    book = RuleBook.of([(older, "a.yaml"), (newer, "b.yaml")])
    assert book.for_year(Title.LEARNING_FAMILY, 2024).version == "2016.1"  # type: ignore[union-attr]
    assert book.for_year(Title.LEARNING_FAMILY, 2025).threshold.value == 85  # type: ignore[union-attr]


def test_bare_numbers_are_verified_values_and_marked_ones_are_provisional() -> None:
    rule_set = parse_rule_set(FAMILY, "family.yaml")
    children = rule_set.criteria[0]
    assert not children.items[0].max_points.provisional
    assert rule_set.criteria[1].items[0].max_points.provisional

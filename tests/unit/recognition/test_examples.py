"""Runs every worked example under services/recognition/examples against its rule set."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.domain.evaluation import evaluate
from shared.events.inbound import FamilyEvidence
from shared.events.vocabulary import Title

EXAMPLES = Path(__file__).resolve().parents[3] / "services" / "recognition" / "examples"
BOOK = load_rule_book()


def cases() -> list[Any]:
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            found.append(pytest.param(document, case, id=f"{path.parent.name}/{path.stem}: {case['name']}"))
    return found


@pytest.mark.parametrize(("document", "case"), cases())
def test_worked_example(document: dict[str, Any], case: dict[str, Any]) -> None:
    rule_set = BOOK.for_year(Title.LEARNING_FAMILY, case["year"])
    assert rule_set is not None and (rule_set.id, rule_set.version) == (document["rule_set"], document["version"])
    facts = FamilyEvidence(**case["evidence"]).model_dump()
    decision = evaluate(rule_set, facts)
    expect = case["expect"]
    assert decision.granted is expect["granted"]
    assert decision.total_points == expect["total_points"]
    points = {c.id: c.points for c in decision.criteria}
    for criterion, expected_points in expect.get("criteria", {}).items():
        assert points[criterion] == expected_points, criterion
    for text in expect.get("unmet_mentions", []):
        assert text in decision.unmet
    assert (decision.unmet == ()) is expect["granted"]


def test_there_is_at_least_one_worked_example_per_rule_set() -> None:
    covered = {(c.values[0]["rule_set"], c.values[0]["version"]) for c in cases()}
    assert covered >= {(r.id, r.version) for r in BOOK.rule_sets}

"""Runs every worked example under services/recognition/examples against its rule set.

Each case gives an entity's evidence for a year, what the cascade counts (`counted`), and the
decision expected; the rule set must be the one in force that year.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.domain.evaluation import DERIVED_MARK, evaluate
from services.recognition.domain.rule_checks import EVIDENCE_OF

EXAMPLES = Path(__file__).resolve().parents[3] / "services" / "recognition" / "examples"
BOOK = load_rule_book()


def cases() -> list[Any]:
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            found.append(
                pytest.param(document, case, id=f"{path.parent.name}/{path.stem}: {case['name']}")
            )
    return found


@pytest.mark.parametrize(("document", "case"), cases())
def test_worked_example(document: dict[str, Any], case: dict[str, Any]) -> None:
    rule_set = BOOK.find(document["rule_set"], document["version"])
    assert rule_set is not None, "the example names a rule set the book does not have"
    assert BOOK.for_year(rule_set.title, case["year"]) is rule_set, (
        "the example's year is outside the rule set's period"
    )
    facts = EVIDENCE_OF[rule_set.title](**case["evidence"]).model_dump()
    for name, value in case.get("counted", {}).items():
        assert name in rule_set.derived_facts, f"{name} is not a derived fact of the rule set"
        assert facts.get(name) is None, f"the evidence gives {name}, so it would not be counted"
        facts[name] = value
        if rule_set.derived_facts[name].count is not None:
            facts[name + DERIVED_MARK] = True
    decision = evaluate(rule_set, facts)
    expect = case["expect"]
    assert decision.granted is expect["granted"]
    assert decision.assessable is expect.get("assessable", True)
    assert list(decision.missing_facts) == expect.get("missing_facts", [])
    if "total_points" in expect:
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

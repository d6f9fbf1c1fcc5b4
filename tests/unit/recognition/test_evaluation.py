"""The pure evaluation: what each item read and required, determinism, reasons only when refused."""

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.domain.evaluation import evaluate
from shared.events.vocabulary import Title
from shared.testing import family_evidence

RULES = load_rule_book().for_year(Title.LEARNING_FAMILY, 2024)
assert RULES is not None


def test_each_item_reports_what_it_read_and_what_it_required() -> None:
    decision = evaluate(RULES, family_evidence(adults=4, adults_learning=3).model_dump())
    adults = next(c for c in decision.criteria if c.id == "adults_learning")
    item = next(i for i in adults.items if i.id == "adults_take_part_in_learning")
    assert (item.observed, item.required, item.met, item.points) == (0.75, 0.8, False, 0.0)
    assert item.shortfall == "adults_learning is 3 of adults 4 (75%); 80% required (1 more)"


def test_the_same_facts_always_give_the_same_decision() -> None:
    facts = family_evidence(cultural_family=False).model_dump()
    assert evaluate(RULES, facts) == evaluate(RULES, dict(reversed(list(facts.items()))))


def test_a_granted_decision_carries_no_unmet_reasons() -> None:
    decision = evaluate(RULES, family_evidence().model_dump())
    assert decision.granted and decision.unmet == ()

"""The rule book: every rule set loaded, checked against each other, and chosen by year."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.events.inbound import FamilyEvidence
from shared.events.vocabulary import Title

from .rules import RuleSet


class RuleSetError(ValueError):
    """A rule set that cannot be used; the message names the file, the key and the problem."""


def evidence_facts(model: type[BaseModel]) -> dict[str, str]:
    """The facts an evidence model offers, as 'flag' or 'number'."""
    facts: dict[str, str] = {}
    for name, field in model.model_fields.items():
        annotation = str(field.annotation)
        facts[name] = "flag" if "bool" in annotation else "number"
    return facts


FACTS_BY_TITLE: dict[Title, dict[str, str]] = {Title.LEARNING_FAMILY: evidence_facts(FamilyEvidence)}


def parse_rule_set(document: Any, origin: str) -> RuleSet:
    """Validate one parsed YAML document; errors name `origin` and the offending key."""
    if not isinstance(document, Mapping):
        raise RuleSetError(f"{origin}: a rule set must be a mapping, got {type(document).__name__}")
    try:
        rule_set = RuleSet.model_validate(document)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = ".".join(str(p) for p in item["loc"]) or "(document)"
            problems.append(f"{origin}: {key}: {item['msg']}")
        raise RuleSetError("\n".join(problems)) from None
    known = FACTS_BY_TITLE.get(rule_set.title)
    if known is not None:
        try:
            rule_set.check_facts(known)
        except ValueError as error:
            raise RuleSetError(f"{origin}: criteria: {error}") from None
    return rule_set


@dataclass(frozen=True)
class RuleBook:
    rule_sets: tuple[RuleSet, ...]

    @classmethod
    def of(cls, entries: Iterable[tuple[RuleSet, str]]) -> RuleBook:
        """Build a book, refusing two rule sets of one title whose effective periods overlap."""
        entries = list(entries)
        for index, (first, first_origin) in enumerate(entries):
            for second, second_origin in entries[index + 1 :]:
                if first.title == second.title and first.effective.overlaps(second.effective):
                    raise RuleSetError(
                        f"{second_origin}: effective: overlaps {first_origin} "
                        f"({first.id} {first.version}) for title {first.title.value}"
                    )
        return cls(tuple(rule_set for rule_set, _ in entries))

    def for_year(self, title: Title, year: int) -> RuleSet | None:
        """The rule set in force on 31 December of the assessment year (see the service README)."""
        reference = date(year, 12, 31)
        for rule_set in self.rule_sets:
            if rule_set.title == title and rule_set.effective.covers(reference):
                return rule_set
        return None

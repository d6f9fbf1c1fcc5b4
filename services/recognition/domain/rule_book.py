"""The rule book: every rule set loaded, checked against each other, and chosen by year."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.events.vocabulary import Title

from .rule_checks import FACTS_BY_TITLE, problems
from .rules import Param, RuleSet

__all__ = ["FACTS_BY_TITLE", "RuleBook", "RuleSetError", "parse_rule_set"]


class RuleSetError(ValueError):
    """A rule set that cannot be used; the message names the file, the key and the problem."""


def parse_rule_set(document: Any, origin: str) -> RuleSet:
    """Validate one parsed YAML document; errors name `origin` and the offending key."""
    if not isinstance(document, Mapping):
        raise RuleSetError(f"{origin}: a rule set must be a mapping, got {type(document).__name__}")
    try:
        rule_set = RuleSet.model_validate(document)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            key = ".".join(str(p) for p in item["loc"]) or "(document)"
            lines.append(f"{origin}: {key}: {item['msg']}")
        raise RuleSetError("\n".join(lines)) from None
    found = [f"{origin}: {key}: {problem}" for key, problem in problems(rule_set)]
    if found:
        raise RuleSetError("\n".join(found))
    return rule_set


def assessment_day(year: int) -> date:
    """The rules in force on 31 December of the assessment year apply (see the service README)."""
    return date(year, 12, 31)


def fingerprint(rule_set: RuleSet) -> str:
    """A digest of what decides (points, facts, thresholds, dates), not of labels or notes, so a
    reworded label keeps the version while a changed number needs a new one."""
    return hashlib.sha256(
        json.dumps(_decisive(rule_set.model_dump(mode="json")), sort_keys=True).encode()
    ).hexdigest()[:16]


def _decisive(value: Any) -> Any:
    if isinstance(value, dict):
        skip = {"label", "note", "description", "legal_reference"}
        return {k: _decisive(v) for k, v in value.items() if k not in skip}
    if isinstance(value, list):
        return [_decisive(v) for v in value]
    return value


def parameters(value: Any, path: str = "") -> Iterator[tuple[str, Param]]:
    """Every number of a rule set with its path, e.g. ('criteria.adults_learning.minimum', Param)."""
    if isinstance(value, Param):
        yield path, value
        return
    if isinstance(value, Mapping):
        children: Iterable[tuple[str, Any]] = value.items()
    elif isinstance(value, tuple):
        children = ((getattr(v, "id", str(i)), v) for i, v in enumerate(value))
    elif isinstance(value, BaseModel):
        children = ((name, getattr(value, name)) for name in type(value).model_fields)
    else:
        return
    for name, child in children:
        yield from parameters(child, f"{path}.{name}" if path else str(name))


@dataclass(frozen=True)
class RuleBook:
    """Rule sets by title and period. A rule set without `until` holds until the next one of its
    title starts (OpenFisca's "a value holds until the next date"), so a province adds a version
    with a later `effective.from` without editing the built-in file; an explicit `until` that
    reaches into the next one's period, or two starting the same day, is an overlap and refused."""

    rule_sets: tuple[RuleSet, ...]
    origins: Mapping[tuple[str, str], str] = field(default_factory=dict)
    periods: Mapping[tuple[str, str], tuple[date, date | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[tuple[RuleSet, str]]) -> RuleBook:
        entries = list(entries)
        origins: dict[tuple[str, str], str] = {}
        for rule_set, origin in entries:
            if rule_set.series in origins:
                raise RuleSetError(
                    f"{origin}: version: {rule_set.id} {rule_set.version} is also defined in {origins[rule_set.series]}"
                )
            origins[rule_set.series] = origin
        periods: dict[tuple[str, str], tuple[date, date | None]] = {}
        for title in Title:
            ordered = sorted(
                (e for e in entries if e[0].title == title), key=lambda e: e[0].effective.from_
            )
            for (first, first_origin), (second, second_origin) in pairwise(ordered):
                until = first.effective.until
                if first.effective.from_ == second.effective.from_ or (
                    until is not None and until >= second.effective.from_
                ):
                    raise RuleSetError(
                        f"{second_origin}: effective: overlaps {first_origin} "
                        f"({first.id} {first.version}) for title {title.value}"
                    )
            for index, (rule_set, _) in enumerate(ordered):
                until = rule_set.effective.until
                if until is None and index + 1 < len(ordered):
                    until = ordered[index + 1][0].effective.from_ - timedelta(days=1)
                periods[rule_set.series] = (rule_set.effective.from_, until)
        return cls(tuple(r for r, _ in entries), origins, periods)

    def for_year(self, title: Title, year: int) -> RuleSet | None:
        """The rule set in force on 31 December of the assessment year."""
        day = assessment_day(year)
        for rule_set in self.rule_sets:
            if rule_set.title != title:
                continue
            start, until = self.periods.get(
                rule_set.series, (rule_set.effective.from_, rule_set.effective.until)
            )
            if start <= day and (until is None or day <= until):
                return rule_set
        return None

    def series_for(self, title: Title, year: int) -> tuple[str, str] | None:
        rule_set = self.for_year(title, year)
        return rule_set.series if rule_set else None

    def find(self, rule_set_id: str, version: str) -> RuleSet | None:
        return next((r for r in self.rule_sets if r.series == (rule_set_id, version)), None)

    def with_candidate(self, candidate: RuleSet, year: int) -> RuleBook:
        """This book with `candidate` in force for its title in `year` (for what-if simulations)."""
        if not candidate.effective.covers(assessment_day(year)):
            raise RuleSetError(
                f"candidate {candidate.id} {candidate.version}: effective: not in force on 31 December {year}"
            )
        current = self.for_year(candidate.title, year)
        kept = tuple(r for r in self.rule_sets if r is not current and r.series != candidate.series)
        periods = {k: v for k, v in self.periods.items() if current is None or k != current.series}
        periods[candidate.series] = (date(year, 12, 31), date(year, 12, 31))
        return RuleBook(
            (candidate, *kept), {**self.origins, candidate.series: "candidate"}, periods
        )

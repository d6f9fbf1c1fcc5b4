"""Checks a rule set must pass beyond its shape: each names the key (as a path) and the problem.

The shape (unknown keys, wrong types) is pydantic's job in `rules`; these need the whole document
or the title's evidence: points that cannot add up, facts the evidence does not have, derived
facts the service cannot count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

from pydantic import BaseModel

from shared.events.inbound import (
    CitizenEvidence,
    ClanEvidence,
    CommunityEvidence,
    FamilyEvidence,
    UnitEvidence,
)
from shared.events.vocabulary import Title

from .derived import GROUPS_OF, MEMBER_TITLE, SNAPSHOTS_OF
from .rules import (
    ALTERNATIVES_ID,
    ENTITY_KIND_OF,
    PREREQUISITES_ID,
    CountScore,
    FlagScore,
    RuleSet,
    Score,
)

Kind = tuple[str, bool]  # ("flag" | "number", may be null)


def evidence_facts(model: type[BaseModel]) -> dict[str, Kind]:
    """The facts an evidence model offers: their kind ('flag' or 'number') and whether they may be null."""
    facts: dict[str, Kind] = {}
    for name, field in model.model_fields.items():
        types = get_args(field.annotation) or (field.annotation,)
        kind = "flag" if bool in types else "number"
        facts[name] = (kind, type(None) in types)
    return facts


EVIDENCE_OF: dict[Title, type[BaseModel]] = {
    Title.LEARNING_FAMILY: FamilyEvidence,
    Title.LEARNING_CITIZEN: CitizenEvidence,
    Title.LEARNING_CLAN: ClanEvidence,
    Title.LEARNING_COMMUNITY: CommunityEvidence,
    Title.LEARNING_UNIT: UnitEvidence,
}
FACTS_BY_TITLE: dict[Title, dict[str, Kind]] = {
    title: evidence_facts(m) for title, m in EVIDENCE_OF.items()
}


def problems(rule_set: RuleSet) -> Iterator[tuple[str, str]]:
    """Every (key path, problem) of a rule set; empty when it is usable."""
    expected_kind = ENTITY_KIND_OF[rule_set.title]
    if rule_set.entity_kind != expected_kind:
        yield (
            "entity_kind",
            f"{rule_set.entity_kind} does not match title {rule_set.title.value} (expects {expected_kind})",
        )
    effective = rule_set.effective
    if effective.until is not None and effective.until < effective.from_:
        yield "effective.until", "effective.until is before effective.from"
    if rule_set.threshold.value > rule_set.max_points:
        yield (
            "threshold",
            f"threshold {rule_set.threshold.value:g} is above the maximum {rule_set.max_points:g} points",
        )
    yield from _ids(rule_set)
    for index, criterion in enumerate(rule_set.criteria):
        if criterion.minimum.value > criterion.max_points:
            yield (
                f"criteria.{index}.minimum",
                f"criterion {criterion.id}: minimum {criterion.minimum.value:g} is above its maximum {criterion.max_points:g} points",
            )
    known = dict(FACTS_BY_TITLE[rule_set.title])
    yield from _derived(rule_set, known)
    for path, score in _scores(rule_set):
        yield from _reads(path, score, known)


def _ids(rule_set: RuleSet) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    entries = [(f"criteria.{i}", c.id) for i, c in enumerate(rule_set.criteria)]
    entries += [
        (f"criteria.{i}.items.{j}", item.id)
        for i, c in enumerate(rule_set.criteria)
        for j, item in enumerate(c.items)
    ]
    entries += [(f"prerequisites.{i}", p.id) for i, p in enumerate(rule_set.prerequisites)]
    entries += [
        (f"granted_outright_when.{i}", a.id) for i, a in enumerate(rule_set.granted_outright_when)
    ]
    for path, identifier in entries:
        if identifier in (PREREQUISITES_ID, ALTERNATIVES_ID):
            yield f"{path}.id", f"id {identifier!r} is reserved for the decision trace"
        elif identifier in seen:
            yield f"{path}.id", f"id {identifier!r} is used twice"
        seen.add(identifier)


def _derived(rule_set: RuleSet, known: dict[str, Kind]) -> Iterator[tuple[str, str]]:
    """Adds each usable derived fact to `known` (as a number) and reports the unusable ones."""
    kind = rule_set.entity_kind
    for name, spec in rule_set.derived_facts.items():
        path = f"derived_facts.{name}"
        if name in known and not known[name][1]:
            yield (
                path,
                f"{name} is always given by the {rule_set.title.value} evidence, so it cannot be derived",
            )
            continue
        if name in known and known[name][0] != "number":
            yield path, f"{name} is a {known[name][0]} in the evidence; derived facts are numbers"
            continue
        if spec.count is not None:
            groups = GROUPS_OF[kind]
            if spec.count not in groups:
                yield (
                    f"{path}.count",
                    f"{spec.count!r} is not a group of a {kind} (groups: {', '.join(groups) or 'none'})",
                )
                continue
            if spec.holding is not None and spec.holding != MEMBER_TITLE[spec.count]:
                yield (
                    f"{path}.holding",
                    f"members of {spec.count} can hold {MEMBER_TITLE[spec.count].value}, not {spec.holding.value}",
                )
                continue
        elif spec.snapshot not in SNAPSHOTS_OF.get(kind, {}):
            yield f"{path}.snapshot", f"{spec.snapshot!r} is not in a {kind}'s registry snapshot"
            continue
        known[name] = ("number", True)
    for name, spec in rule_set.derived_facts.items():
        if spec.over is not None and known.get(spec.over, ("flag", False))[0] != "number":
            yield f"derived_facts.{name}.over", f"reads unknown or non-numeric fact {spec.over!r}"


def _scores(rule_set: RuleSet) -> Iterator[tuple[str, Score]]:
    for i, criterion in enumerate(rule_set.criteria):
        for j, item in enumerate(criterion.items):
            yield f"criteria.{i}.items.{j}.score", item.score
    for i, condition in enumerate(rule_set.prerequisites):
        yield f"prerequisites.{i}.score", condition.score
    for i, condition in enumerate(rule_set.granted_outright_when):
        yield f"granted_outright_when.{i}.score", condition.score


def _reads(path: str, score: Score, known: dict[str, Kind]) -> Iterator[tuple[str, str]]:
    if isinstance(score, FlagScore):
        wanted = [(f"{path}.fact", score.fact, "flag")]
    elif isinstance(score, CountScore):
        wanted = [(f"{path}.fact", score.fact, "number")]
    else:
        wanted = [(f"{path}.numerator", name, "number") for name in score.numerator]
        wanted.append((f"{path}.denominator", score.denominator, "number"))
    for key, fact, kind in wanted:
        if fact not in known:
            yield key, f"reads unknown fact {fact!r} (known: {', '.join(sorted(known))})"
        elif known[fact][0] != kind:
            yield key, f"reads fact {fact!r} as a {kind}, but it is a {known[fact][0]}"

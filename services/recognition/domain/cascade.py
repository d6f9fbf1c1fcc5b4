"""The cascade: citizen decisions feed families and units; family decisions feed clans and hamlets.

Titles sit on three levels. An entity is always evaluated after the entities it reads (level by
level), and the service takes its locks in the same order, so concurrent consumers never wait on
each other in a cycle and the last evaluation of an entity sees every input committed before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.events.vocabulary import Title

from .evaluation import DERIVED_MARK
from .membership import CitizenRecord, Context, HouseholdRecord, group_members, hamlet_in
from .rules import RuleSet

LEVEL: dict[Title, int] = {
    Title.LEARNING_CITIZEN: 0,
    Title.LEARNING_FAMILY: 1,
    Title.LEARNING_UNIT: 1,
    Title.LEARNING_CLAN: 2,
    Title.LEARNING_COMMUNITY: 2,
}
LEVELS = (0, 1, 2)
Target = tuple[Title, str]  # (title, entity id)


def titles_read(rule_set: RuleSet | None) -> frozenset[Title]:
    """The titles whose decisions a rule set counts (empty for None)."""
    if rule_set is None:
        return frozenset()
    return frozenset(
        spec.holding for spec in rule_set.derived_facts.values() if spec.holding is not None
    )


def derive_facts(
    rule_set: RuleSet, evidence: Mapping[str, Any], entity_id: str, context: Context, year: int
) -> dict[str, Any]:
    """The evidence plus every derived fact the rule set reads that the evidence leaves null."""
    facts = dict(evidence)
    for name, spec in rule_set.derived_facts.items():
        if facts.get(name) is not None:
            continue  # the entity's own evidence wins over counting
        if spec.snapshot is not None:
            facts[name] = context.snapshot.get(spec.snapshot)
            continue
        members = group_members(rule_set.entity_kind, spec.count or "", entity_id, context, year)
        if spec.holding is not None:
            members = [m for m in members if m in context.granted]
        facts[name] = len(members)
        facts[name + DERIVED_MARK] = True
    return facts


def citizen_dependents(citizen: CitizenRecord | None) -> set[Target]:
    """The family and units that count this citizen."""
    if citizen is None:
        return set()
    found: set[Target] = {(Title.LEARNING_UNIT, unit) for unit in citizen.unit_ids}
    if citizen.household_id:
        found.add((Title.LEARNING_FAMILY, citizen.household_id))
    return found


def household_dependents(household: HouseholdRecord | None, year: int | None = None) -> set[Target]:
    """The clan and hamlet that count this household: in `year`, or in any year (None)."""
    if household is None:
        return set()
    found: set[Target] = set()
    if household.clan_id:
        found.add((Title.LEARNING_CLAN, household.clan_id))
    if year is None:
        codes: Iterable[str] = {p.code for p in household.periods} | {household.hamlet_code}
    else:
        code = hamlet_in(household, year)
        codes = [code] if code else []
    found.update((Title.LEARNING_COMMUNITY, code) for code in codes)
    return found

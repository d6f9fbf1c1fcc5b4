"""Derived facts: what a rule set reads from other entities' decisions (the cascade).

A rule set names a derived fact and how to count it; the service counts it from its own
projections of the registry and from the decisions it made one level down. When the entity's own
evidence gives the fact (not null), the evidence wins: a unit that declares how many members hold
Learning Citizen is believed; one that leaves it null gets its members' decisions counted.

Groups are a closed vocabulary, per entity kind, because each one is a query the service knows
how to answer (and a lock order it knows how to keep).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.vocabulary import Title

Group = Literal["members", "adult_members", "member_households", "households"]
Snapshot = Literal["member_count"]

GROUPS_OF: dict[str, dict[str, str]] = {
    "household": {
        "members": "citizens of the household in the year (not removed before 31 December)",
        "adult_members": "members who are 18 or older on 31 December of the year",
    },
    "unit": {
        "members": "citizens who name the unit among their units (not removed before 31 December)"
    },
    "clan": {"member_households": "households of the clan counted in the year"},
    "hamlet": {"households": "households living in the hamlet on 31 December of the year"},
    "citizen": {},
}
"""For each entity kind, the groups a derived fact may count, and what each one is."""

SNAPSHOTS_OF: dict[str, dict[str, str]] = {
    "unit": {"member_count": "the unit's member count as the registry records it"},
}

MEMBER_TITLE: dict[str, Title] = {
    "members": Title.LEARNING_CITIZEN,
    "adult_members": Title.LEARNING_CITIZEN,
    "member_households": Title.LEARNING_FAMILY,
    "households": Title.LEARNING_FAMILY,
}
"""The title a group's members can hold (a group of citizens holds Learning Citizen)."""


class DerivedFact(BaseModel):
    """How to count one derived fact: a group (optionally only those holding a title that year),
    or a value from the registry's snapshot of the entity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: Group | None = Field(default=None, description="Count the members of this group.")
    holding: Title | None = Field(
        default=None, description="Only those granted this title for the same year (current rules)."
    )
    snapshot: Snapshot | None = Field(
        default=None, description="Read this value of the registry snapshot."
    )
    over: str | None = Field(
        default=None,
        description="When this fact is derived, shares that read it are taken over this fact "
        "instead of the item's denominator (e.g. the registry's member_count).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.count is None) == (self.snapshot is None):
            raise ValueError("give exactly one of count or snapshot")
        if self.snapshot is not None and (self.holding is not None or self.over is not None):
            raise ValueError("holding and over go with count, not snapshot")
        return self

    def describe(self) -> str:
        """One line for people: how the value is obtained."""
        if self.snapshot is not None:
            return f"the registry's {self.snapshot}"
        text = f"count of {self.count}"
        if self.holding is not None:
            text += f" holding {self.holding.value}"
        return text + (f", over {self.over}" if self.over else "")

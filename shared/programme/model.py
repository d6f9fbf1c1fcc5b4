"""Growth targets as data (YAML per programme): the yearly growth band and the goal per title."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.events.vocabulary import Level, Title


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Title
    goal_percent: float = Field(ge=0, le=100, description="Share recognised by `goal_year`.")
    goal_year: int = 2030
    growth_min_points: float | None = Field(
        default=None, ge=0, description="Minimum yearly growth in percentage points."
    )
    growth_max_points: float | None = Field(default=None, ge=0)
    hold_at_least_percent: float | None = Field(
        default=None, ge=0, le=100, description="For titles held at a level rather than grown."
    )
    levels: tuple[Level, ...] = (Level.COMMUNE, Level.PROVINCE)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.growth_min_points is None) == (self.hold_at_least_percent is None):
            raise ValueError("give either growth_min_points or hold_at_least_percent")
        if self.growth_max_points is not None and self.growth_min_points is not None:
            if self.growth_max_points < self.growth_min_points:
                raise ValueError("growth_max_points is below growth_min_points")
        return self


class Programme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    reference: str
    first_year: int
    last_year: int
    targets: tuple[Target, ...]

    def target(self, title: Title) -> Target | None:
        return next((t for t in self.targets if t.title == title), None)


def parse_programme(document: Any, origin: str) -> Programme:
    try:
        return Programme.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{origin}: {'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors()
        ]
        raise ValueError("\n".join(problems)) from None

"""Growth targets as data (YAML per programme): the yearly growth band and the goal per title,
the levels each applies to, and per-area overrides (a hard-to-reach commune, an exempt one).
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.events.vocabulary import AreaCode, Level, Title


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
    growth_capped_at_goal: bool = Field(
        default=True,
        description="An area at or near the goal only has to reach (then stay at) the goal, "
        "not grow past it: the year's requirement is min(last year + growth_min_points, goal).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.growth_min_points is None) == (self.hold_at_least_percent is None):
            raise ValueError("give either growth_min_points or hold_at_least_percent")
        if self.growth_max_points is not None and self.growth_min_points is not None:
            if self.growth_max_points < self.growth_min_points:
                raise ValueError("growth_max_points is below growth_min_points")
        return self


_OVERRIDABLE = ("goal_percent", "goal_year", "growth_min_points", "growth_max_points", "hold_at_least_percent")


class AreaOverride(BaseModel):
    """Changes one title's target for one area (and nothing else); `applies: false` exempts it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    area_code: AreaCode
    title: Title
    reason: str = Field(min_length=1, max_length=500, description="Why this area differs (the decision).")
    applies: bool = True
    goal_percent: float | None = Field(default=None, ge=0, le=100)
    goal_year: int | None = None
    growth_min_points: float | None = Field(default=None, ge=0)
    growth_max_points: float | None = Field(default=None, ge=0)
    hold_at_least_percent: float | None = Field(default=None, ge=0, le=100)

    def apply_to(self, target: Target) -> Target:
        changes = {name: getattr(self, name) for name in _OVERRIDABLE if getattr(self, name) is not None}
        # Switching kind (grow -> hold or back) drops the other kind's fields unless both are given,
        # which Target then refuses.
        if "hold_at_least_percent" in changes and "growth_min_points" not in changes:
            changes.update(growth_min_points=None, growth_max_points=None)
        if "growth_min_points" in changes and "hold_at_least_percent" not in changes:
            changes["hold_at_least_percent"] = None
        return Target.model_validate({**target.model_dump(), **changes})


class Programme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    reference: str
    first_year: int
    last_year: int
    targets: tuple[Target, ...]
    overrides: tuple[AreaOverride, ...] = ()

    @model_validator(mode="after")
    def _overrides_fit(self) -> Self:
        seen: set[tuple[str, Title]] = set()
        for index, override in enumerate(self.overrides):
            where = f"overrides.{index} ({override.area_code}, {override.title.value})"
            if (override.area_code, override.title) in seen:
                raise ValueError(f"{where}: a second override for the same area and title")
            seen.add((override.area_code, override.title))
            target = self.target(override.title)
            if target is None:
                raise ValueError(f"{where}: the programme has no target for this title")
            try:
                override.apply_to(target)
            except ValidationError as error:
                raise ValueError(f"{where}: {error.errors()[0]['msg']}") from None
        return self

    def target(self, title: Title) -> Target | None:
        return next((t for t in self.targets if t.title == title), None)

    def target_for(self, title: Title, area_code: str) -> Target | None:
        """The target one area is judged against: the title's, changed by the area's override;
        None when the title has no target or the area is exempt."""
        target = self.target(title)
        if target is None:
            return None
        override = next((o for o in self.overrides if o.area_code == area_code and o.title == title), None)
        if override is None:
            return target
        return override.apply_to(target) if override.applies else None

    def override_for(self, title: Title, area_code: str) -> AreaOverride | None:
        return next((o for o in self.overrides if o.area_code == area_code and o.title == title), None)


def parse_programme(document: Any, origin: str) -> Programme:
    try:
        return Programme.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{origin}: {'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors()
        ]
        raise ValueError("\n".join(problems)) from None

"""Events the metrics service publishes: one indicator cell whenever its figures change."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import EventData, event_type
from .vocabulary import AreaCode, AssessmentYear, Level, Title


class IndicatorChanged(EventData):
    """Recognised, registered and total entities for a title, year and area (key: area code).

    `hierarchy` says which map the area belongs to: `recorded` is the hierarchy in force in that
    year (legacy districts and communes before the 1 July 2025 reform); `current` re-aggregates the
    same entities into today's units through the registry's crosswalk, so series are comparable.
    """

    TYPE = event_type("metrics", "indicator-changed")

    title: Title
    year: AssessmentYear
    hierarchy: Literal["recorded", "current"] = "current"
    level: Level
    area_code: AreaCode
    area_name: str | None = Field(description="The area's name when the registry has sent it.")
    parent_code: AreaCode | None
    total: int = Field(ge=0, description="All entities of the title's kind in the area.")
    registered: int = Field(ge=0, description="Entities that registered for the title this year.")
    recognised: int = Field(ge=0)
    assessed: int = Field(default=0, ge=0, description="Entities with a decision for the year.")
    ratio_all: float | None = Field(description="recognised / total in percent; null when not computable.")
    ratio_registered: float | None = Field(description="recognised / registered in percent.")
    data_status: Literal["ok", "insufficient"] = "ok"
    data_status_reason: str | None = Field(default=None, description="Why the figures are not enough.")
    change_points: float | None = Field(default=None, description="ratio_all minus last year's, in points.")
    goal_percent: float | None = None
    goal_year: int | None = None
    projected_goal_year_percent: float | None = Field(
        default=None, description="ratio_all at the goal year if the growth since the first year continues."
    )
    rule_versions: tuple[str, ...] = Field(default=(), description="Rule-set versions behind the decisions counted.")
    revision: int = Field(ge=1, description="Grows with each change of this cell.")

"""Events the metrics service publishes: one indicator cell whenever its figures change."""

from __future__ import annotations

from pydantic import Field

from .base import EventData, event_type
from .vocabulary import AreaCode, AssessmentYear, Level, Title


class IndicatorChanged(EventData):
    """Recognised, registered and total entities for a title, year and area (key: area code)."""

    TYPE = event_type("metrics", "indicator-changed")

    title: Title
    year: AssessmentYear
    level: Level
    area_code: AreaCode
    area_name: str | None = Field(description="The area's name when the registry has sent it.")
    parent_code: AreaCode | None
    total: int = Field(ge=0, description="All entities of the title's kind in the area.")
    registered: int = Field(ge=0, description="Entities that registered for the title this year.")
    recognised: int = Field(ge=0)
    ratio_all: float | None = Field(description="recognised / total in percent; null when total is 0.")
    ratio_registered: float | None = Field(description="recognised / registered in percent.")
    revision: int = Field(ge=1, description="Grows with each change of this cell.")

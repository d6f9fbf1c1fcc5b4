"""The reporting calendar: when a year's figures are judged, in the province's local time.

Reports reach the Ministry and the national Association before 15 December (domain.md §3.3), so
that is the default cut-off; Trà Vinh publishes 9-month figures, so the interim checkpoint
defaults to 30 September. Each moment is the start (00:00) of its day in the local zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class Phase(StrEnum):
    """Which judgement a year is in: the interim warning window, or final after the cut-off."""

    INTERIM = "interim"
    FINAL = "final"


def parse_month_day(text: str) -> tuple[int, int]:
    """'MM-DD' as (month, day); refuses what no year has (29 February is refused too).

    >>> parse_month_day("12-15")
    (12, 15)
    """
    match = _MONTH_DAY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a MM-DD date (e.g. 12-15)")
    month, day = int(match[1]), int(match[2])
    try:
        date(2001, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a day of every year") from None
    return month, day


@dataclass(frozen=True, slots=True)
class ReportingCalendar:
    checkpoint: str = "09-30"
    cutoff: str = "12-15"
    zone: str = "Asia/Ho_Chi_Minh"

    def __post_init__(self) -> None:
        if parse_month_day(self.checkpoint) >= parse_month_day(self.cutoff):
            raise ValueError(f"the interim checkpoint {self.checkpoint} must come before the cut-off {self.cutoff}")
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.zone!r}") from None

    def _moment(self, year: int, month_day: str) -> datetime:
        month, day = parse_month_day(month_day)
        return datetime.combine(date(year, month, day), time(0), ZoneInfo(self.zone))

    def checkpoint_of(self, year: int) -> datetime:
        return self._moment(year, self.checkpoint)

    def cutoff_of(self, year: int) -> datetime:
        return self._moment(year, self.cutoff)

    def phase(self, year: int, now: datetime) -> Phase | None:
        """FINAL from the cut-off on, INTERIM from the checkpoint to the cut-off, else None."""
        if now >= self.cutoff_of(year):
            return Phase.FINAL
        if now >= self.checkpoint_of(year):
            return Phase.INTERIM
        return None

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.zone)).date()

"""Figures, agencies and policies for notifications tests (the Trà Vinh programme by default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifications.domain.agencies import Directory, parse_directory
from services.notifications.domain.calendar import ReportingCalendar
from services.notifications.domain.messages import Context
from services.notifications.domain.verdicts import Figures
from services.notifications.handlers import Policy
from shared.events.vocabulary import Level, Title
from shared.programme import load_programme

CALENDAR = ReportingCalendar("09-30", "12-15", "Asia/Ho_Chi_Minh")
AFTER_CUTOFF_2024 = datetime(2025, 1, 10, tzinfo=UTC)
INTERIM_2026 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # checkpoint passed, cut-off not


def cell(area: str, year: int, recognised: int, *, total: int = 120, level: Level = Level.COMMUNE,
         parent: str | None = "84", title: Title = Title.LEARNING_FAMILY, revision: int = 1, **extra: Any) -> Figures:
    values: dict[str, Any] = {
        "title": title, "year": year, "level": level, "area_code": area, "area_name": f"Xã {area}",
        "total": total, "registered": extra.pop("registered", total - 10), "recognised": recognised,
        "revision": revision, "parent_code": parent, "assessed": extra.pop("assessed", total - 10),
        "rule_versions": ("2016.1",),
    }
    values.update(extra)
    return Figures(**values)


def directory(*agencies: dict[str, Any]) -> Directory:
    return parse_directory({"agencies": list(agencies)}, "test")


def agency(agency_id: str, *areas: str, **extra: Any) -> dict[str, Any]:
    return {"id": agency_id, "name": f"Hội Khuyến học {agency_id}", "emails": [f"{agency_id}@example.vn"], "areas": list(areas), **extra}


DEFAULT_DIRECTORY = directory(agency("tinh", "84"), agency("hoa-loi", "29401"), agency("hoa-thuan", "29398"))


def policy(directory_: Directory = DEFAULT_DIRECTORY, **changes: Any) -> Policy:
    programme = changes.pop("programme", load_programme())
    values: dict[str, Any] = {
        "programme": programme,
        "directory": directory_,
        "calendar": CALENDAR,
        "context": Context(programme="Chương trình 2024-2030", calendar=CALENDAR, domain="hoctap.test"),
        "settle": timedelta(minutes=15),
        "escalate_after": timedelta(days=30),
    }
    values.update(changes)
    return Policy(**values)

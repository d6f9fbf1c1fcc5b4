"""Cells as API rows and CSV files, including the December report with Vietnamese headers.

The December report (per commune and title: total, registered, recognised and both percentages)
is what the province sends to the Ministry before 15 December; the file starts with a UTF-8 byte
order mark so spreadsheet programs read the Vietnamese text correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from shared.events.vocabulary import Level, Title

from .domain.cells import Cell, Hierarchy
from .domain.indicators import OK

TITLE_NAMES_VI = {
    Title.LEARNING_FAMILY: "Gia đình học tập",
    Title.LEARNING_CLAN: "Dòng họ học tập",
    Title.LEARNING_COMMUNITY: "Cộng đồng học tập (thôn, ấp, tổ dân phố)",
    Title.LEARNING_UNIT: "Đơn vị học tập",
    Title.LEARNING_CITIZEN: "Công dân học tập",
}
LEVEL_NAMES_VI = {
    Level.COUNTRY: "Toàn quốc",
    Level.PROVINCE: "Tỉnh",
    Level.DISTRICT: "Huyện",
    Level.COMMUNE: "Xã",
    Level.HAMLET: "Thôn, ấp",
}
INDICATOR_COLUMNS = (
    "title",
    "year",
    "hierarchy",
    "level",
    "area_code",
    "area_name",
    "parent_code",
    "total",
    "registered",
    "recognised",
    "assessed",
    "ratio_all",
    "ratio_registered",
    "data_status",
    "data_status_reason",
    "change_points",
    "target_percent",
    "goal_percent",
    "goal_year",
    "projected_goal_year_percent",
    "rule_versions",
    "revision",
)
DECEMBER_COLUMNS = (
    "Năm",
    "Cấp",
    "Mã đơn vị",
    "Tên đơn vị",
    "Mã đơn vị cấp trên",
    "Danh hiệu",
    "Tổng số",
    "Số đăng ký",
    "Số được công nhận",
    "Tỷ lệ công nhận trên tổng số (%)",
    "Tỷ lệ công nhận trên số đăng ký (%)",
    "Tình trạng số liệu",
    "Ghi chú",
)
BOM = "\ufeff"


def indicator_row(cell: Cell, hierarchy: Hierarchy | None = None) -> dict[str, Any]:
    """One cell as the API shows it; `hierarchy` is the one asked for (the same cells after the reform)."""
    key, counts, figures = cell.key, cell.counts, cell.figures
    return {
        "title": key.title.value,
        "year": key.year,
        "hierarchy": (hierarchy or key.hierarchy).value,
        "level": key.level.value,
        "area_code": key.area_code,
        "area_name": cell.area_name,
        "parent_code": cell.parent_code,
        "total": counts.total,
        "registered": counts.registered,
        "recognised": counts.recognised,
        "assessed": counts.assessed,
        "ratio_all": figures.ratio_all,
        "ratio_registered": figures.ratio_registered,
        "data_status": figures.data_status,
        "data_status_reason": figures.data_status_reason,
        "change_points": figures.change_points,
        "target_percent": figures.target_percent,
        "goal_percent": figures.goal_percent,
        "goal_year": figures.goal_year,
        "projected_goal_year_percent": figures.projected_goal_year_percent,
        "rule_versions": list(cell.tally.rule_versions),
        "revision": cell.revision,
    }


def _number(value: float | None, decimal_comma: bool) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}"
    return text.replace(".", ",") if decimal_comma else text


def _write(
    rows: Iterable[Sequence[Any]], header: Sequence[str], *, delimiter: str = ",", bom: bool = False
) -> str:
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def indicators_csv(rows: Iterable[dict[str, Any]]) -> str:
    def values(row: dict[str, Any]) -> list[Any]:
        return [
            "|".join(row[c]) if c == "rule_versions" else ("" if row[c] is None else row[c])
            for c in INDICATOR_COLUMNS
        ]

    return _write((values(r) for r in rows), INDICATOR_COLUMNS)


def reason_vi(cell: Cell) -> str:
    """Why a cell's data are insufficient, in Vietnamese (the API gives the same in English)."""
    counts, year = cell.counts, cell.key.year
    if cell.figures.data_status == OK:
        return ""
    if counts.total <= 0:
        return "Chưa có tổng số từ cơ sở dữ liệu đăng ký"
    if counts.assessed <= 0:
        return f"Có {counts.total} đối tượng nhưng chưa có kết quả đánh giá năm {year}"
    return f"{counts.registered - counts.assessed}/{counts.registered} đối tượng đã đăng ký chưa có kết quả đánh giá năm {year}"


def december_csv(cells: Iterable[Cell], *, decimal_comma: bool = False) -> str:
    """Per commune and title, then the province (and country) totals; percentages blank when insufficient.

    `decimal_comma` writes 62,50 and separates columns with ';' (spreadsheets set to Vietnamese).
    """
    order = {title: index for index, title in enumerate(Title)}
    depth = {Level.COMMUNE: 0, Level.DISTRICT: 1, Level.PROVINCE: 2, Level.COUNTRY: 3}
    chosen = sorted(
        (c for c in cells if c.key.level in depth),
        key=lambda c: (depth[c.key.level], c.key.area_code, order[c.key.title]),
    )
    rows = []
    for cell in chosen:
        key, counts, figures = cell.key, cell.counts, cell.figures
        ok = figures.data_status == OK
        rows.append(
            [
                key.year,
                LEVEL_NAMES_VI[key.level],
                key.area_code,
                cell.area_name or "",
                cell.parent_code or "",
                TITLE_NAMES_VI[key.title],
                counts.total,
                counts.registered,
                counts.recognised,
                _number(figures.ratio_all, decimal_comma),
                _number(figures.ratio_registered, decimal_comma),
                "Đủ số liệu" if ok else "Chưa đủ số liệu",
                reason_vi(cell),
            ]
        )
    return _write(rows, DECEMBER_COLUMNS, delimiter=";" if decimal_comma else ",", bom=True)

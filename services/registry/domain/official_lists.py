"""Turning the official administrative-unit lists into facts.

Two NSO layouts are read (columns as published on danhmuchanhchinh.nso.gov.vn):
- the unit list: `Tỉnh Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp, ...`
  -> provinces, districts and communes;
- the 2025 conversion table: `Tỉnh, thành phố | Tên Xã mới | Mã Xã mới | Tên Xã cũ | Mã Xã cũ |
  Ghi chú | Quận/huyện | Tỉnh cũ` -> province mergers, commune mergers, district closures.
And a commune's hamlet list: `code, name[, kind]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from shared.events.base import EventData
from shared.events.inbound import (
    AdministrativeUnitClosed,
    AdministrativeUnitRegistered,
    AdministrativeUnitsMerged,
    MergeTarget,
)
from shared.events.vocabulary import Level

UNIT_LIST_HEADER = ("Tỉnh Thành Phố", "Mã TP", "Quận Huyện", "Mã QH", "Phường Xã", "Mã PX", "Cấp")
CONVERSION_MARKERS = ("Tên Xã mới", "Mã Xã mới", "Tên Xã cũ", "Mã Xã cũ")
REFORM_DAY = date(2025, 7, 1)

_KINDS = (
    ("thành phố trực thuộc", "thanh_pho_truc_thuoc_tw"),
    ("tỉnh", "tinh"),
    ("thành phố", "thanh_pho_thuoc_tinh"),
    ("thị xã", "thi_xa"),
    ("huyện", "huyen"),
    ("quận", "quan"),
    ("thị trấn", "thi_tran"),
    ("phường", "phuong"),
    ("đặc khu", "dac_khu"),
    ("xã", "xa"),
    ("ấp", "ap"),
    ("khóm", "khom"),
    ("thôn", "thon"),
    ("bản", "ban"),
    ("tổ dân phố", "to_dan_pho"),
)
_CODE_IN_PARENS = re.compile(r"\((\d+)\)\s*$")


class ListError(ValueError):
    """A row the importer cannot read; the message names the row number and the problem."""


def kind_of(name: str) -> str | None:
    lowered = " ".join(name.lower().split())
    return next((kind for prefix, kind in _KINDS if lowered.startswith(prefix)), None)


def clean(text: str) -> str:
    return " ".join(text.split())


def detect_layout(rows: Sequence[Sequence[str]]) -> str:
    for row in rows[:5]:
        cells = tuple(clean(c) for c in row)
        if cells[: len(UNIT_LIST_HEADER)] == UNIT_LIST_HEADER:
            return "unit-list"
        if all(marker in cells for marker in CONVERSION_MARKERS):
            return "conversion"
    raise ListError("neither the NSO unit list nor the 2025 conversion table: check the header row")


def unit_list_facts(rows: Iterable[Sequence[str]], *, valid_from: date, province: str | None = None) -> list[EventData]:
    """Province, district and commune registrations from the NSO unit list (header row first)."""
    facts: list[EventData] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if number == 1:
            continue
        if len(row) < 7 or not clean(row[1]):
            continue
        province_name, province_code, district_name, district_code, commune_name, commune_code = (clean(c) for c in row[:6])
        if province and province_code != province:
            continue
        if not (province_code.isdigit() and commune_code.isdigit()):
            raise ListError(f"row {number}: codes must be digits (got {province_code!r}, {commune_code!r})")
        if province_code not in seen:
            seen.add(province_code)
            facts.append(AdministrativeUnitRegistered(code=province_code, level=Level.PROVINCE, name=province_name,
                                                      kind=kind_of(province_name), valid_from=valid_from))
        parent = province_code
        if district_code:
            if district_code not in seen:
                seen.add(district_code)
                facts.append(AdministrativeUnitRegistered(code=district_code, level=Level.DISTRICT, name=district_name,
                                                          kind=kind_of(district_name), parent_code=province_code, valid_from=valid_from))
            parent = district_code
        if commune_code in seen:
            raise ListError(f"row {number}: commune {commune_code} appears twice")
        seen.add(commune_code)
        facts.append(AdministrativeUnitRegistered(code=commune_code, level=Level.COMMUNE, name=commune_name,
                                                  kind=kind_of(commune_name), parent_code=parent, valid_from=valid_from))
    return facts


def conversion_facts(rows: Iterable[Sequence[str]], *, effective_on: date = REFORM_DAY, old_province: str | None = None) -> list[EventData]:
    """The 2025 reform from the conversion table: province mergers first, then commune mergers
    (or renames and moves for units kept as they were), then the old districts close."""
    targets: dict[str, dict[str, object]] = {}
    provinces: dict[str, set[str]] = {}
    province_names: dict[str, str] = {}
    districts: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if len(row) < 8:
            continue
        new_province, new_name, new_code, _old_name, old_code, _note, district, old_prov = (clean(c) for c in row[:8])
        if not (new_code.isdigit() and old_code.isdigit()):
            continue  # headings and section rows
        new_province_code, old_province_code = _code(new_province, number), _code(old_prov, number)
        if old_province and old_province_code != old_province:
            continue
        provinces.setdefault(new_province_code, set()).add(old_province_code)
        province_names[new_province_code] = _strip_code(new_province)
        target = targets.setdefault(new_code, {"name": new_name, "province": new_province_code, "sources": []})
        target["sources"].append(old_code)  # type: ignore[attr-defined]
        if district:
            districts.add(_code(district, number))
    facts: list[EventData] = []
    for code, sources in sorted(provinces.items()):
        name = province_names[code]
        facts.append(AdministrativeUnitsMerged(
            source_codes=tuple(sorted(sources)),
            target=MergeTarget(code=code, level=Level.PROVINCE, name=name, kind=kind_of(name)),
            effective_on=effective_on,
        ))
    for code, target in sorted(targets.items()):
        name = str(target["name"])
        facts.append(AdministrativeUnitsMerged(
            source_codes=tuple(dict.fromkeys(target["sources"])),  # type: ignore[arg-type]
            target=MergeTarget(code=code, level=Level.COMMUNE, name=name, kind=kind_of(name), parent_code=str(target["province"])),
            effective_on=effective_on,
        ))
    last_day = effective_on - timedelta(days=1)
    facts += [AdministrativeUnitClosed(code=code, valid_to=last_day) for code in sorted(districts)]
    return facts


def hamlet_facts(rows: Iterable[Sequence[str]], *, commune: str, valid_from: date) -> list[EventData]:
    """A commune's hamlets from `code,name[,kind]` rows (a header row is skipped)."""
    facts: list[EventData] = []
    for number, row in enumerate(rows, start=1):
        cells = [clean(c) for c in row]
        if not cells or not cells[0] or (number == 1 and cells[0].lower() == "code"):
            continue
        if len(cells) < 2 or not cells[1]:
            raise ListError(f"row {number}: a hamlet needs a code and a name")
        kind = cells[2] if len(cells) > 2 and cells[2] else kind_of(cells[1])
        try:
            facts.append(AdministrativeUnitRegistered(code=cells[0], level=Level.HAMLET, name=cells[1], kind=kind,
                                                      parent_code=commune, valid_from=valid_from))
        except ValueError as error:
            raise ListError(f"row {number}: {error}") from None
    return facts


def _code(text: str, number: int) -> str:
    match = _CODE_IN_PARENS.search(text)
    if match is None:
        raise ListError(f"row {number}: no code in parentheses in {text!r}")
    return match.group(1)


def _strip_code(text: str) -> str:
    return _CODE_IN_PARENS.sub("", text).strip()

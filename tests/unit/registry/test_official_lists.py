import csv
from datetime import date
from pathlib import Path

import pytest

from services.registry.adapters.privacy import NationalIdHasher, redact
from services.registry.domain.official_lists import (
    ListError,
    conversion_facts,
    detect_layout,
    hamlet_facts,
    kind_of,
    unit_list_facts,
)
from shared.events.inbound import AdministrativeUnitClosed, AdministrativeUnitRegistered, AdministrativeUnitsMerged
from shared.events.vocabulary import Level

DATA = Path(__file__).resolve().parents[3] / "shared" / "devstack" / "data"


def rows(name: str) -> list[list[str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_the_nso_unit_list_gives_tra_vinh_its_province_nine_districts_and_104_communes() -> None:
    facts = unit_list_facts(rows("tra_vinh_communes_2025-01.csv"), valid_from=date(2020, 1, 1))
    levels = [f.level for f in facts]
    assert levels.count(Level.PROVINCE) == 1 and levels.count(Level.DISTRICT) == 9 and levels.count(Level.COMMUNE) == 104
    hoa_loi = next(f for f in facts if f.code == "29401")
    assert (hoa_loi.parent_code, hoa_loi.kind, hoa_loi.name) == ("847", "xa", "Xã Hòa Lợi")


def test_the_conversion_table_merges_104_communes_into_41_and_closes_the_districts() -> None:
    table = rows("tra_vinh_crosswalk_2025-07.csv")
    assert detect_layout(table) == "conversion"
    facts = conversion_facts(table)
    province, *communes = [f for f in facts if isinstance(f, AdministrativeUnitsMerged)]
    closures = [f for f in facts if isinstance(f, AdministrativeUnitClosed)]
    assert (province.source_codes, province.target.code) == (("84",), "86")
    assert len(communes) == 41 and sum(len(c.source_codes) for c in communes) == 104
    hung_my = next(c for c in communes if c.target.code == "29407")
    assert hung_my.source_codes == ("29401", "29404", "29407") and hung_my.target.parent_code == "86"
    assert len(closures) == 9 and {c.valid_to for c in closures} == {date(2025, 6, 30)}


def test_a_hamlet_list_becomes_hamlets_of_the_commune() -> None:
    facts = hamlet_facts([["code", "name"], ["29401-01", "Ấp Bến Cát"], ["29401-02", "Khóm 2"]], commune="29401", valid_from=date(2020, 1, 1))
    assert [(f.code, f.level, f.kind, f.parent_code) for f in facts] == [
        ("29401-01", Level.HAMLET, "ap", "29401"), ("29401-02", Level.HAMLET, "khom", "29401")
    ]
    assert all(isinstance(f, AdministrativeUnitRegistered) for f in facts)


def test_a_hamlet_row_without_a_name_names_its_row() -> None:
    with pytest.raises(ListError, match="row 2: a hamlet needs a code and a name"):
        hamlet_facts([["code", "name"], ["29401-01", ""]], commune="29401", valid_from=date(2020, 1, 1))


def test_an_unknown_layout_is_refused() -> None:
    with pytest.raises(ListError, match="neither the NSO unit list nor"):
        detect_layout([["a", "b"], ["1", "2"]])


def test_unit_kinds_are_read_from_vietnamese_names() -> None:
    assert [kind_of(n) for n in ("Thị trấn Cầu Kè", "Phường 4", "Thành phố Trà Vinh", "Tổ dân phố 3")] == [
        "thi_tran", "phuong", "thanh_pho_thuoc_tinh", "to_dan_pho"
    ]


def test_the_national_id_hmac_is_keyed_and_stable() -> None:
    first, other_key = NationalIdHasher("a" * 32), NationalIdHasher("b" * 32)
    assert first("079201001234") == first("079201001234") != other_key("079201001234")
    assert "079201001234" not in first("079201001234")


def test_redaction_removes_national_ids_even_from_malformed_json() -> None:
    assert redact(b'{"national_id": 079201001234, "x": "ok"') == b'{"national_id": "[redacted]", "x": "ok"'
    assert redact(b"citizen 123456789 spoke") == b"citizen [redacted] spoke"

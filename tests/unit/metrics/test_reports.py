import csv
import io

from services.metrics.domain.cells import Cell, CellKey, Counts, Hierarchy, Tally
from services.metrics.domain.indicators import Policy, derive_series
from services.metrics.reports import DECEMBER_COLUMNS, december_csv, indicator_row, indicators_csv
from shared.events.vocabulary import Level, Title


def cell(level: Level, code: str, counts: Counts, title: Title = Title.LEARNING_FAMILY) -> Cell:
    figures = derive_series({2024: counts}, Policy())[2024]
    return Cell(
        CellKey(title, 2024, Hierarchy.RECORDED, level, code),
        "84",
        f"Xã {code}",
        Tally.of(counts),
        figures,
        1,
    )


def rows(text: str, delimiter: str = ",") -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_the_december_report_lists_communes_then_totals_with_vietnamese_headers() -> None:
    report = december_csv(
        [
            cell(Level.PROVINCE, "84", Counts(80, 70, 50, 70)),
            cell(Level.COMMUNE, "29401", Counts(40, 35, 25, 35)),
            cell(Level.COMMUNE, "29398", Counts(40, 35, 25, 35), Title.LEARNING_CLAN),
            cell(Level.HAMLET, "29401-01", Counts(40, 35, 25, 35)),
        ]
    )
    header, *body = rows(report)
    assert tuple(header) == DECEMBER_COLUMNS
    assert [(r[1], r[2], r[5]) for r in body] == [
        ("Xã", "29398", "Dòng họ học tập"),
        ("Xã", "29401", "Gia đình học tập"),
        ("Tỉnh", "84", "Gia đình học tập"),
    ]
    assert body[1][6:11] == ["40", "35", "25", "62.50", "71.43"]


def test_an_insufficient_area_has_blank_percentages_and_says_why_in_vietnamese() -> None:
    report = december_csv([cell(Level.COMMUNE, "29401", Counts(40, 0, 0, 0))], decimal_comma=True)
    _, row = rows(report, delimiter=";")
    assert row[9:11] == ["", ""]
    assert (
        row[11] == "Chưa đủ số liệu"
        and row[12] == "Có 40 đối tượng nhưng chưa có kết quả đánh giá năm 2024"
    )


def test_decimal_commas_for_spreadsheets_set_to_vietnamese() -> None:
    _, row = rows(
        december_csv([cell(Level.COMMUNE, "29401", Counts(40, 35, 25, 35))], decimal_comma=True),
        ";",
    )
    assert row[9] == "62,50"


def test_the_indicator_csv_has_one_column_per_field_and_labels_both_ratios() -> None:
    text = indicators_csv(
        [indicator_row(cell(Level.COMMUNE, "29401", Counts(40, 35, 25, 35)), Hierarchy.CURRENT)]
    )
    header, row = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, row, strict=True))
    assert record["ratio_all"] == "62.5" and record["ratio_registered"] == "71.43"
    assert record["hierarchy"] == "current" and record["data_status"] == "ok"

"""The query API and /metrics of the real app, on a real PostgreSQL (HTTP in process)."""

import csv
import io

import httpx
import pytest

from services.metrics.app import build_app
from services.metrics.settings import MetricsSettings
from tests.unit.metrics.factories import as_record, family_decision, household, province_map

from .feeding import assert_reconciled, feed


@pytest.fixture
async def client(make_settings):  # type: ignore[no-untyped-def]
    settings = await make_settings(MetricsSettings, scrape_cache_seconds=0.0)
    records = [as_record(a) for a in province_map()]
    records += [
        as_record(household(n, ("29398-01", "29398-02", "29401-01")[n % 3])) for n in range(12)
    ]
    records += [
        as_record(family_decision(n, 2024, n % 4 != 0)) for n in range(12) if n != 11
    ]  # hh-11: not decided
    records += [as_record(family_decision(n, 2023, n % 2 == 0)) for n in range(12)]
    await feed(settings, records, batch_size=100)
    await assert_reconciled(settings)
    app = build_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://metrics"
        ) as http:
            yield http
    finally:
        await app.state.runtime.engine.dispose()


async def test_indicators_filter_by_title_year_level_and_hierarchy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/v1/indicators", params={"title": "learning_family", "year": 2024, "level": "commune"}
    )
    assert response.status_code == 200
    communes = {row["area_code"]: row for row in response.json()}
    assert set(communes) == {"29398", "29401"}
    assert communes["29398"]["ratio_all"] == 75.0 and communes["29398"]["hierarchy"] == "current"
    assert (
        communes["29398"]["change_points"] == 25.0 and communes["29398"]["target_percent"] == 53.0
    )
    assert (
        communes["29401"]["total"] == 4 and communes["29401"]["registered"] == 3
    )  # hh-11: in the total only
    recorded = await client.get(
        "/v1/indicators", params={"year": 2024, "level": "district", "hierarchy": "recorded"}
    )
    assert [row["area_code"] for row in recorded.json()] == ["847"]


async def test_a_cell_with_its_children_for_drill_down_in_json_and_csv(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/indicators/current/learning_family/2024/29398")
    body = response.json()
    assert (body["level"], body["total"], body["parent_code"]) == ("commune", 8, "847")
    assert sorted(child["area_code"] for child in body["children"]) == ["29398-01", "29398-02"]
    as_csv = await client.get(
        "/v1/indicators/current/learning_family/2024/29398", params={"format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows[0]["area_code"] == "29398" and len(rows) == 3


async def test_unknown_cells_and_bad_parameters_get_clear_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/indicators/current/learning_family/2024/99999")
    assert (
        missing.status_code == 404
        and "no learning_family cell for 99999 in 2024" in missing.json()["detail"]
    )
    assert (await client.get("/v1/indicators", params={"title": "learning_dog"})).status_code == 422
    assert (await client.get("/v1/indicators", params={"year": 1800})).status_code == 422
    assert (await client.get("/v1/indicators", params={"parent": "../etc"})).status_code == 422
    assert (await client.get("/v1/reports/december", params={"year": 2031})).status_code == 404


async def test_the_december_report_is_a_vietnamese_csv_per_commune_and_title(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/reports/december", params={"year": 2024})
    assert (
        response.status_code == 200
        and "bao-cao-xhht-2024.csv" in response.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Năm", "Cấp", "Mã đơn vị"]
    communes = [r for r in rows[1:] if r[1] == "Xã"]
    assert [(r[2], r[5], r[6], r[8], r[9]) for r in communes] == [
        ("29398", "Gia đình học tập", "8", "6", "75.00"),
        ("29401", "Gia đình học tập", "4", "2", "50.00"),
    ]
    assert [r[2] for r in rows[1:] if r[1] == "Tỉnh"] == ["84"]


async def test_metrics_exports_the_current_hierarchy_at_commune_and_province_level(
    client: httpx.AsyncClient,
) -> None:
    text = (await client.get("/metrics")).text
    assert (
        'hoctap_title_recognised_ratio{area_code="29398",level="commune",title="learning_family",year="2024"} 0.75'
        in text
    )
    assert (
        'hoctap_title_entities{area_code="84",level="province",title="learning_family",year="2024"} 12.0'
        in text
    )
    indicators = "\n".join(line for line in text.splitlines() if line.startswith("hoctap_title_"))
    assert 'level="hamlet"' not in indicators and 'level="district"' not in indicators
    assert "hoctap_metrics_exported_cells " in text and "hoctap_metrics_outbox_backlog 0.0" in text

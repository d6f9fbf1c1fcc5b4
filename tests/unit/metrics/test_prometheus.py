from prometheus_client import CollectorRegistry, generate_latest

from services.metrics.adapters.prometheus import IndicatorCollector, MetricsServiceMetrics
from services.metrics.domain.cells import Cell, CellKey, Counts, Hierarchy, Tally
from services.metrics.domain.indicators import derive_series
from services.metrics.domain.rules import MetricsRules
from shared.events.vocabulary import Level, Title
from shared.programme import load_programme

RULES = MetricsRules.build(programme=load_programme())


def cell(code: str, series: dict[int, Counts], year: int) -> Cell:
    figures = derive_series(series, RULES.policy(Title.LEARNING_FAMILY))[year]
    return Cell(
        CellKey(Title.LEARNING_FAMILY, year, Hierarchy.CURRENT, Level.COMMUNE, code),
        "84",
        code,
        Tally.of(series[year]),
        figures,
        1,
    )


async def scraped(cells: list[Cell]) -> CollectorRegistry:
    async def load() -> list[Cell]:
        return cells

    registry = CollectorRegistry()
    collector = IndicatorCollector(load, 0.0, RULES, MetricsServiceMetrics(registry))
    registry.register(collector)
    await collector.refresh()
    return registry


async def test_a_cell_exports_its_ratio_its_counts_and_its_targets() -> None:
    series = {2024: Counts(40, 36, 24, 36), 2025: Counts(40, 36, 26, 36)}
    registry = await scraped([cell("29401", series, 2025)])
    labels = {"title": "learning_family", "level": "commune", "area_code": "29401", "year": "2025"}
    assert registry.get_sample_value("hoctap_title_recognised_ratio", labels) == 0.65
    assert registry.get_sample_value("hoctap_title_recognised_registered_ratio", labels) == 26 / 36
    assert registry.get_sample_value("hoctap_title_entities", labels) == 40
    assert registry.get_sample_value("hoctap_title_assessed_entities", labels) == 36
    assert registry.get_sample_value("hoctap_title_recognised_ratio_change", labels) == 0.05
    assert registry.get_sample_value("hoctap_title_target_ratio", labels) == 0.63
    assert registry.get_sample_value("hoctap_title_data_insufficient", labels) == 0
    assert (
        registry.get_sample_value(
            "hoctap_title_goal_ratio", {"title": "learning_family", "goal_year": "2030"}
        )
        == 0.8
    )
    assert registry.get_sample_value("hoctap_metrics_exported_cells") == 1


async def test_an_insufficient_cell_exports_its_counts_and_the_flag_but_no_ratio() -> None:
    registry = await scraped([cell("29401", {2024: Counts(40, 0, 0, 0)}, 2024)])
    labels = {"title": "learning_family", "level": "commune", "area_code": "29401", "year": "2024"}
    assert registry.get_sample_value("hoctap_title_recognised_ratio", labels) is None
    assert registry.get_sample_value("hoctap_title_entities", labels) == 40
    assert registry.get_sample_value("hoctap_title_data_insufficient", labels) == 1
    assert registry.get_sample_value("hoctap_metrics_insufficient_cells", {"level": "commune"}) == 1


async def test_the_fast_rendering_is_byte_for_byte_what_prometheus_client_writes() -> None:
    cells = [
        cell("29401", {2024: Counts(40, 36, 24, 36), 2025: Counts(40, 36, 26, 36)}, 2025),
        cell("29398", {2024: Counts(40, 0, 0, 0)}, 2024),
        cell("29400", {2023: Counts(7, 3, 1, 3), 2024: Counts(7, 3, 2, 3)}, 2024),
    ]

    async def load() -> list[Cell]:
        return cells

    collector = IndicatorCollector(load, 0.0, RULES)
    await collector.refresh()
    registry = CollectorRegistry()
    registry.register(collector)
    assert collector.render() == generate_latest(registry)

"""The real notifications runtime under FastStream's in-memory TestKafkaBroker (no network)."""

from faststream.kafka import TestKafkaBroker

from services.notifications.app import build_runtime
from services.notifications.settings import NotificationsSettings
from shared.events.catalogue import DEAD_LETTERS, METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title
from shared.testing import record_of

from .fakes import FakeEvaluationUnitOfWork


def indicator(hierarchy: str = "current", revision: int = 1) -> IndicatorChanged:
    return IndicatorChanged(
        title=Title.LEARNING_FAMILY, year=2024, hierarchy=hierarchy, level=Level.COMMUNE, area_code="29401",  # type: ignore[arg-type]
        area_name="Xã Hòa Lợi", parent_code="84", total=120, registered=103, recognised=75, assessed=103,
        ratio_all=62.5, ratio_registered=72.82, rule_versions=("2016.1",), revision=revision,
    )


async def publish(broker, settings: NotificationsSettings, *records) -> None:  # type: ignore[no-untyped-def]
    for record in records:
        await broker.publish(record.value, settings.topic(METRICS_INDICATORS.name), key=record.key,
                             headers={k: v.decode() for k, v in record.headers})


async def test_indicator_events_of_the_current_hierarchy_are_kept_at_their_highest_revision() -> None:
    uow, settings = FakeEvaluationUnitOfWork(), NotificationsSettings(topic_prefix="w.")
    runtime = build_runtime(settings, unit_of_work=lambda: uow)
    async with TestKafkaBroker(runtime.broker) as broker:
        await publish(broker, settings,
                      record_of(METRICS_INDICATORS, "29401", indicator(revision=2), seed="a"),
                      record_of(METRICS_INDICATORS, "29401", indicator(revision=1), seed="b"),
                      record_of(METRICS_INDICATORS, "29401", indicator("recorded", revision=9), seed="c"))
    [stored] = uow.indicators.cells.values()
    assert (stored.figures.revision, stored.figures.assessed, stored.figures.rule_versions) == (2, 103, ("2016.1",))


async def test_a_malformed_indicator_becomes_a_dead_letter_with_its_reason() -> None:
    uow, settings = FakeEvaluationUnitOfWork(), NotificationsSettings()
    runtime = build_runtime(settings, unit_of_work=lambda: uow)
    good = record_of(METRICS_INDICATORS, "29401", indicator())
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(good.value.replace(b'"total":120', b'"total":-1'), METRICS_INDICATORS.name, key=b"29401",
                             headers={k: v.decode() for k, v in good.headers})
    [letter] = uow.outbox.on(DEAD_LETTERS["notifications"].name)
    assert letter.header("hoctap_dlq_reason_code") == b"invalid_data"
    assert b"total" in letter.header("hoctap_dlq_reason")  # type: ignore[operator]
    assert uow.indicators.cells == {}

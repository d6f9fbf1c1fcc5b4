"""Alerts from stored figures to a real SMTP server (aiosmtpd): once, retried, or refused."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from prometheus_client import CollectorRegistry

from shared.programme import load_programme
from services.notifications.adapters.db import ALERTS, OUTBOX, NotificationsSqlUnitOfWork
from services.notifications.adapters.smtp import SmtpMailer
from services.notifications.domain.agencies import parse_directory
from services.notifications.handlers import Deliverer, GrowthEvaluator, NotificationMetrics, on_indicators
from services.notifications.settings import NotificationsSettings
from shared.db import create_engine
from shared.devstack.processes import free_port
from shared.events.catalogue import METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title
from shared.testing import CollectingSmtpHandler, received

DIRECTORY = parse_directory(
    {"agencies": [{"id": "hkh-hoa-loi", "name": "Hội Khuyến học xã Hòa Lợi", "emails": ["hoaloi@example.vn"], "areas": ["29401"]}]},
    "test",
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def indicator(area: str, year: int, recognised: int, revision: int = 1) -> IndicatorChanged:
    return IndicatorChanged(
        title=Title.LEARNING_FAMILY, year=year, level=Level.COMMUNE, area_code=area, area_name=f"Xã {area}",
        parent_code="84", total=120, registered=110, recognised=recognised,
        ratio_all=round(100 * recognised / 120, 2), ratio_registered=None, revision=revision,
    )


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    handler = CollectingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


async def setup(make_settings, smtp_port: int, clock: Clock, *figures: IndicatorChanged):  # type: ignore[no-untyped-def]
    settings = await make_settings(NotificationsSettings, smtp_port=smtp_port, settle_seconds=60)
    engine = create_engine(settings)
    async with NotificationsSqlUnitOfWork(engine, OUTBOX, "c") as uow:
        await on_indicators([received(METRICS_INDICATORS, f.area_code, f) for f in figures], uow, clock())
        await uow.commit()
    metrics = NotificationMetrics(CollectorRegistry())
    evaluator = GrowthEvaluator(
        engine, programme=load_programme(settings.programme_file), directory=DIRECTORY, metrics=metrics,
        cutoff="12-15", zone="Asia/Ho_Chi_Minh", settle=timedelta(seconds=60), interval=1, message_domain="hoctap.test", clock=clock,
    )
    deliverer = Deliverer(engine, SmtpMailer(settings), metrics=metrics, interval=1, per_minute=600, max_attempts=5, clock=clock)
    return engine, evaluator, deliverer


async def alert_rows(engine) -> list:  # type: ignore[no-untyped-def,type-arg]
    async with engine.connect() as connection:
        return list(await connection.execute(sa.select(ALERTS)))


async def test_a_missed_target_sends_exactly_one_email_however_often_it_is_judged(make_settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    clock = Clock()
    engine, evaluator, deliverer = await setup(make_settings, controller.port, clock, indicator("29401", 2023, 72), indicator("29401", 2024, 75))
    try:
        assert await evaluator.run_once() == 0, "figures younger than the settle period are not judged"
        clock.now += timedelta(minutes=2)
        assert await evaluator.run_once() == 1
        assert await evaluator.run_once() == 0
        while await deliverer.deliver_one():
            pass
        assert await deliverer.deliver_one() is False
    finally:
        await engine.dispose()

    [message] = handler.messages
    assert message["X-Hoctap-Alert-Key"] == "29401|learning_family|2024|missed"
    assert message["To"] == "hoaloi@example.vn"
    assert message["Message-ID"].endswith("@hoctap.test>")
    assert "62,5%" in message.get_body(("plain",)).get_content()


async def test_smtp_down_then_up_delivers_once_after_a_backoff(make_settings) -> None:  # type: ignore[no-untyped-def]
    clock, port = Clock(), free_port()
    engine, evaluator, deliverer = await setup(make_settings, port, clock, indicator("29401", 2023, 72), indicator("29401", 2024, 75))
    clock.now += timedelta(minutes=2)
    handler = CollectingSmtpHandler()
    try:
        await evaluator.run_once()
        assert await deliverer.deliver_one() is False  # nobody listens on the port yet
        [row] = await alert_rows(engine)
        assert (row.status, row.attempts) == ("pending", 1) and row.last_error
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            assert await deliverer.deliver_one() is False, "not retried before its backoff"
            clock.now += timedelta(minutes=1)
            assert await deliverer.deliver_one() is True
            assert await deliverer.deliver_one() is False
        finally:
            controller.stop()
        [row] = await alert_rows(engine)
        assert (row.status, row.attempts) == ("sent", 2)
    finally:
        await engine.dispose()
    assert len(handler.messages) == 1


async def test_a_permanent_refusal_is_recorded_and_never_retried(make_settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    handler.refuse_with = "550 mailbox unavailable"
    clock = Clock()
    engine, evaluator, deliverer = await setup(make_settings, controller.port, clock, indicator("29401", 2023, 72), indicator("29401", 2024, 75))
    try:
        clock.now += timedelta(minutes=2)
        await evaluator.run_once()
        assert await deliverer.deliver_one() is True
        clock.now += timedelta(days=1)
        assert await deliverer.deliver_one() is False
        [row] = await alert_rows(engine)
        assert row.status == "failed" and "550" in row.last_error
        assert deliverer.metrics.emails.labels("permanent_failure")._value.get() == 1
    finally:
        await engine.dispose()
    assert handler.messages == []


async def test_a_met_target_and_an_area_without_last_year_send_nothing(make_settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    clock = Clock()
    engine, evaluator, deliverer = await setup(
        make_settings, controller.port, clock, indicator("29401", 2023, 72), indicator("29401", 2024, 81), indicator("29398", 2024, 10)
    )
    try:
        clock.now += timedelta(minutes=2)
        assert await evaluator.run_once() == 0
        assert await alert_rows(engine) == []
    finally:
        await engine.dispose()

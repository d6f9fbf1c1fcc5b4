"""Notices from stored figures to a real SMTP server (aiosmtpd): once, retried, refused, resent."""

import asyncio
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from services.notifications.adapters.queue import SqlMailQueue
from services.notifications.domain.messages import Email
from services.notifications.handlers import Deliverer
from shared.devstack.processes import free_port
from shared.testing import CollectingSmtpHandler

from .support import Clock, family_year, make_stack, smtp_server

__all__ = ["smtp_server"]

MISSES = {"29401": 75, "29398": 70, "29399": 74}  # three communes below +3.0 points (72 of 120 in 2023)


def alert_keys(handler: CollectingSmtpHandler) -> Counter[str]:
    return Counter(m["X-Hoctap-Alert-Key"] for m in handler.messages)


async def test_each_area_title_year_and_verdict_is_emailed_exactly_once_however_often_it_is_judged(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    stack = await make_stack(make_settings, tmp_path, controller.port)
    try:
        await stack.receive(*family_year(2023, {c: 72 for c in MISSES}), *family_year(2024, MISSES))
        assert (await stack.evaluator.run_once()).notices == [], "figures younger than the settle period wait"
        stack.clock.advance(minutes=2)
        for _ in range(3):
            await stack.evaluator.run_once()
            await stack.deliver_all()
        await stack.receive(*family_year(2024, MISSES, revision=2))  # the same figures again (a re-publication)
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.deliver_all()
    finally:
        await stack.close()

    assert alert_keys(handler) == {
        "29401|learning_family|2024|missed": 1, "29398|learning_family|2024|missed": 1,
        "84|learning_family|2024|missed": 1, "84|learning_family|2024|digest:missed": 1,
    }, "29399 has no agency: recorded as unrouted, listed in the digest"
    by_key = {m["X-Hoctap-Alert-Key"]: m for m in handler.messages}
    alert = by_key["29401|learning_family|2024|missed"]
    assert alert["To"] == "hoaloi@example.vn" and alert["Message-ID"].endswith("@hoctap.test>")
    assert "62,5%" in alert.get_body(("plain",)).get_content()
    assert "met the growth target" not in by_key["29398|learning_family|2024|missed"]["Subject"]
    assert "missed the growth target" in by_key["29398|learning_family|2024|missed"]["Subject"], "29398's agency reads English"
    digest = by_key["84|learning_family|2024|digest:missed"].get_body(("plain",)).get_content()
    assert all(code in digest for code in MISSES)


async def test_two_replicas_judging_and_sending_at_once_never_double_an_email(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    clock = Clock()
    first = await make_stack(make_settings, tmp_path, controller.port, clock=clock)
    second = await make_stack(make_settings, tmp_path, controller.port, clock=clock, schema_of=first.settings)
    try:
        await first.receive(*family_year(2023, {c: 72 for c in MISSES}), *family_year(2024, MISSES))
        clock.advance(minutes=2)
        for _ in range(3):
            await asyncio.gather(first.evaluator.run_once(), second.evaluator.run_once())
        await asyncio.gather(first.deliver_all(), second.deliver_all(), first.deliver_all())
    finally:
        await first.close()
        await second.close()
    assert len(handler.messages) == 4 and set(alert_keys(handler).values()) == {1}


async def test_smtp_down_for_a_while_then_up_delivers_everything_once(make_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port, handler = free_port(), CollectingSmtpHandler()
    stack = await make_stack(make_settings, tmp_path, port)
    try:
        await stack.receive(*family_year(2023, {c: 72 for c in MISSES}), *family_year(2024, MISSES))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        for _ in range(3):  # nobody listens: each pass fails one e-mail and backs off
            await stack.deliver_all()
            stack.clock.advance(seconds=10)
        pending = [a for a in await stack.alerts() if a.status == "pending"]
        assert len(pending) == 4 and any(a.attempts > 0 and a.last_error for a in pending)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            stack.clock.advance(hours=2)
            assert await stack.deliver_all() == 4
            stack.clock.advance(hours=2)
            assert await stack.deliver_all() == 0
        finally:
            controller.stop()
        assert {a.status for a in await stack.alerts() if a.kind == "digest" or a.agency_id} == {"sent"}
    finally:
        await stack.close()
    assert len(handler.messages) == 4 and set(alert_keys(handler).values()) == {1}


async def test_a_permanent_refusal_is_recorded_never_retried_and_can_be_requeued(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    handler.refuse_with = "550 mailbox unavailable"
    stack = await make_stack(make_settings, tmp_path, controller.port)
    try:
        await stack.receive(*family_year(2023, {"29401": 72}), *family_year(2024, {"29401": 75}))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        assert await stack.deliver_all() == 3  # the commune, the province (its only commune) and the digest
        stack.clock.advance(days=1)
        assert await stack.deliver_all() == 0
        failed = [a for a in await stack.alerts() if a.status == "failed"]
        assert len(failed) == 3 and all("550" in a.last_error and a.failure == "permanent" for a in failed)
        await stack.deliverer.measure()
        assert stack.deliverer.metrics.failed._value.get() == 3
        handler.refuse_with = None
        assert await SqlMailQueue(stack.engine).requeue([failed[0].alert_key], stack.clock()) == [failed[0].alert_key]
        assert await stack.deliver_all() == 1
    finally:
        await stack.close()
    assert len(handler.messages) == 1


async def test_a_crash_between_the_servers_acceptance_and_the_record_resends_that_one_email_with_the_same_id(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    stack = await make_stack(make_settings, tmp_path, controller.port)

    class DiesAfterSending:
        def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
            self.inner = inner

        async def send(self, email: Email):  # type: ignore[no-untyped-def]
            await self.inner.send(email)
            raise KeyboardInterrupt  # nothing after this runs: the transaction is never committed

    try:
        await stack.receive(*family_year(2023, {"29401": 72}), *family_year(2024, {"29401": 75}))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        dying = Deliverer(stack.deliverer.queue, DiesAfterSending(stack.deliverer.mailer), metrics=stack.deliverer.metrics,
                          retry=stack.deliverer.retry, per_minute=6000, interval=0.05, clock=stack.clock)
        with pytest.raises(KeyboardInterrupt):
            await dying.deliver_one()
        assert await stack.deliver_all() == 3
    finally:
        await stack.close()
    counts = alert_keys(handler)
    assert counts == {"29401|learning_family|2024|missed": 2, "84|learning_family|2024|missed": 1,
                      "84|learning_family|2024|digest:missed": 1}
    first, second = [m for m in handler.messages if m["X-Hoctap-Alert-Key"] == "29401|learning_family|2024|missed"]
    assert first["Message-ID"] == second["Message-ID"]
    assert stack.deliverer.metrics.emails.labels("resent_after_interruption")._value.get() == 1

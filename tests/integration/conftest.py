"""Per-test settings on the real infrastructure: a fresh schema per service, fresh topics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from shared.migrations import upgrade
from shared.settings import BaseServiceSettings

S = TypeVar("S", bound=BaseServiceSettings)
SERVICES = Path(__file__).resolve().parents[2] / "services"


@pytest.fixture
def make_settings(infrastructure, topic_prefix: str, schema_suffix: str) -> Callable[..., Awaitable[Any]]:  # type: ignore[no-untyped-def]
    async def make(cls: type[S], variant: str = "", **overrides: Any) -> S:
        """Settings for `cls` in schema <service>_<suffix><variant>, migrated."""
        service = cls.model_fields["service_name"].default
        values: dict[str, Any] = {
            "database_url": infrastructure.database_url,
            "database_schema": f"{service}_{schema_suffix}{variant}",
            "kafka_bootstrap_servers": infrastructure.bootstrap,
            "kafka_idempotent_producer": infrastructure.idempotent_producer,
            "kafka_session_timeout_ms": 6000,
            "kafka_heartbeat_interval_ms": 1000,
            "topic_prefix": topic_prefix,
            "outbox_poll_interval_seconds": 0.1,
            "batch_timeout_ms": 50,
        }
        settings = cls(**{**values, **overrides})
        await asyncio.to_thread(upgrade, settings, SERVICES / service / "migrations")
        return settings

    return make

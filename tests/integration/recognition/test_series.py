"""A province rule version taking effect for a year, on a real PostgreSQL and broker: the service
decides that year into a new series when it starts (and `reevaluate` does the same), leaving the
older series as they were."""

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
import yaml

from services.recognition.adapters.db import DECISIONS
from services.recognition.adapters.rule_files import BUILT_IN, load_rule_book
from services.recognition.app import build_app
from services.recognition.settings import RecognitionSettings
from shared.db import create_engine
from shared.events.catalogue import RECOGNITION_DECISIONS
from shared.events.recognition import TitleDecided
from tests.integration.kafka_helpers import read_topic
from tests.unit.recognition.factories import province_history

from .helpers import feed, records

BOOK = load_rule_book()
ROOT = Path(__file__).resolve().parents[3]


def province_folder(tmp_path: Path) -> Path:
    document = yaml.safe_load(
        (BUILT_IN / "learning_community" / "2016.1.yaml").read_text(encoding="utf-8")
    )
    document.update(
        version="2025.1-tv",
        effective={"from": "2025-01-01"},
        threshold={"value": 90, "provisional": True},
    )
    folder = tmp_path / "tra-vinh"
    folder.mkdir()
    (folder / "learning_community.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
    )
    return folder


async def series_rows(
    settings: RecognitionSettings,
) -> dict[tuple[str, str, int, str], tuple[int, dict]]:  # type: ignore[type-arg]
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.select(DECISIONS))
            return {
                (r.title, r.entity_id, r.year, r.rule_version): (r.revision, r.body) for r in rows
            }
    finally:
        await engine.dispose()


async def test_the_service_decides_a_new_rule_version_into_a_new_series_when_it_starts(
    make_settings, tmp_path, infrastructure
) -> None:  # type: ignore[no-untyped-def]
    # Tansu: five consumers join one group, each join waits half the session timeout (Apache
    # Kafka refuses a session timeout under 6 s, and joins quickly anyway).
    quick = {"kafka_session_timeout_ms": 2000, "kafka_heartbeat_interval_ms": 500}
    tansu = "tansu" in infrastructure.broker_name.lower()
    settings = await make_settings(RecognitionSettings, **(quick if tansu else {}))
    await feed(settings, BOOK, [records(province_history())])
    before = await series_rows(settings)
    app = build_app(settings.model_copy(update={"rule_set_folders": [province_folder(tmp_path)]}))
    async with app.router.lifespan_context(app):
        deadline = time.monotonic() + 60
        while (  # noqa: ASYNC110 - polling the database: it has no event to await
            time.monotonic() < deadline
            and sum(k[3] == "2025.1-tv" for k in await series_rows(settings)) < 2
        ):
            await asyncio.sleep(0.2)
    after = await series_rows(settings)
    new = {k: v for k, v in after.items() if k not in before}
    assert set(new) == {
        ("learning_community", h, 2025, "2025.1-tv") for h in ("29401-01", "29401-02")
    }
    assert all(revision == 1 and body["threshold"] == 90 for revision, body in new.values())
    assert {k: after[k] for k in before} == before, "an older series was rewritten"
    published = await read_topic(
        infrastructure.bootstrap, settings.topic(RECOGNITION_DECISIONS.name), expect=len(before) + 2
    )
    versions = {
        (d.entity_id, d.rule_version)
        for d in (TitleDecided.model_validate_json(r.value) for r in published)
    }
    assert {
        ("29401-01", "2025.1-tv"),
        ("29401-02", "2025.1-tv"),
        ("29401-01", "2016.1"),
    } <= versions


async def test_the_reevaluate_command_does_the_same_and_then_finds_nothing_left(
    make_settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RecognitionSettings)
    await feed(settings, BOOK, [records(province_history())])
    env = {
        **os.environ,
        "RECOGNITION_DATABASE_URL": settings.database_url,
        "RECOGNITION_DATABASE_SCHEMA": settings.database_schema,
        "RECOGNITION_RULE_SET_FOLDERS": json.dumps([str(province_folder(tmp_path))]),
    }
    command = [sys.executable, "-m", "services.recognition", "reevaluate"]
    first = await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    second = await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 0, first.stderr
    assert "re-evaluated 2 entity-years; 2 decisions written to the outbox" in first.stdout
    assert "re-evaluated 0 entity-years; 0 decisions" in second.stdout

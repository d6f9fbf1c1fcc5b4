"""`simulate` (CLI and HTTP) against the population in a real PostgreSQL, with no side effects;
the HTTP API's rule sets and decisions with their trace."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import sqlalchemy as sa
import yaml

from services.recognition.adapters.db import METADATA
from services.recognition.adapters.rule_files import BUILT_IN, load_rule_book
from services.recognition.app import build_app
from services.recognition.settings import RecognitionSettings
from shared.db import create_engine
from shared.devstack.demo import write_readers
from tests.unit.recognition.factories import province_history

from .helpers import feed, records

BOOK = load_rule_book()
ROOT = Path(__file__).resolve().parents[3]


def stricter_family(threshold: int = 95) -> dict:  # type: ignore[type-arg]
    document = yaml.safe_load(
        (BUILT_IN / "learning_family" / "2025.1.yaml").read_text(encoding="utf-8")
    )
    document.update(version="2025.9-what-if", threshold={"value": threshold, "provisional": True})
    return document


async def fingerprint_of_database(settings: RecognitionSettings) -> dict[str, list]:  # type: ignore[type-arg]
    """Every row of every recognition table (and the outbox), to prove nothing was written."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            found = {}
            for table in METADATA.sorted_tables:
                rows = await connection.execute(sa.select(table))
                found[table.name] = sorted(repr(tuple(r)) for r in rows)
            return found
    finally:
        await engine.dispose()


async def populated(make_settings) -> RecognitionSettings:  # type: ignore[no-untyped-def]
    settings = await make_settings(RecognitionSettings)
    await feed(settings, BOOK, [records(province_history())])
    return settings



async def simulate(settings, candidate, *, year: int) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """`python -m services.recognition simulate` on the test's database, as an operator runs it."""
    env = {
        **os.environ,
        "RECOGNITION_DATABASE_URL": settings.database_url,
        "RECOGNITION_DATABASE_SCHEMA": settings.database_schema,
    }
    command = [sys.executable, "-m", "services.recognition", "simulate", "--rule-set", str(candidate), "--year", str(year)]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )

async def test_the_simulate_command_prints_the_impact_per_area_and_writes_nothing(
    make_settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = await populated(make_settings)
    candidate = tmp_path / "stricter.yaml"
    candidate.write_text(yaml.safe_dump(stricter_family(), allow_unicode=True), encoding="utf-8")
    before = await fingerprint_of_database(settings)
    result = await simulate(settings, candidate, year=2025)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "candidate learning-family 2025.9-what-if instead of learning-family 2025.1" in lines[0]
    family = lines.index("Learning Family (Gia đình học tập)")
    province = lines[family + 3].split()
    assert province[:4] == ["province", "84", "Area", "84"] and province[4] == "12"  # assessed
    assert int(province[-2]) > 0, "a stricter threshold must lose some families"
    assert "Learning Community (Cộng đồng học tập, hamlet)" in lines  # the cascade is reported too
    assert await fingerprint_of_database(settings) == before


async def test_the_simulate_command_refuses_an_invalid_candidate_naming_the_file_and_key(
    make_settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RecognitionSettings)
    candidate = tmp_path / "broken.yaml"
    candidate.write_text(
        yaml.safe_dump({**stricter_family(), "treshold": 1}, allow_unicode=True), encoding="utf-8"
    )
    result = await simulate(settings, candidate, year=2025)
    assert result.returncode == 2
    assert f"{candidate}: treshold: Extra inputs are not permitted" in result.stderr


async def test_the_http_api_simulates_and_explains_decisions(make_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = await populated(make_settings)
    settings.readers_file = write_readers(tmp_path / "readers.yaml", "reader-token")
    app = build_app(settings)
    before = await fingerprint_of_database(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://recognition",
        headers={"Authorization": "Bearer reader-token"},
    ) as client:
        simulated = await client.post(
            "/v1/simulations",
            json={
                "rule_set": yaml.safe_dump(stricter_family()),
                "year": 2025,
                "title": "learning_family",
            },
        )
        assert simulated.status_code == 200, simulated.text
        body = simulated.json()
        province = next(r for r in body["rows"] if r["level"] == "province")
        assert (
            body["titles"] == ["learning_family"]
            and province["assessed"] == 12
            and province["lost"] > 0
        )
        assert (
            province["recognised_now"] - province["lost"] + province["gained"]
            == province["recognised_candidate"]
        )

        as_json = json.loads(json.dumps({**stricter_family(), "threshold": 500}, default=str))
        refused = await client.post("/v1/simulations", json={"rule_set": as_json, "year": 2025})
        assert (
            refused.status_code == 422
            and "candidate: threshold: threshold 500 is above the maximum 100 points"
            in refused.json()["detail"]
        )

        decision = (await client.get("/v1/decisions/learning_unit/unit-1/2025")).json()
        assert (
            decision["rule_version"] == "2024.1"
            and decision["facts"]["members_learning_citizens.derived"] is True
        )
        assert (
            any(c["id"] == "learning_effects" for c in decision["criteria"]) and decision["unmet"]
        )
        missing = await client.get("/v1/decisions/learning_unit/unit-1/2019")
        assert missing.status_code == 404

        rule_sets = (await client.get("/v1/rule-sets", params={"title": "learning_citizen"})).json()
        [citizen] = rule_sets
        assert citizen["provisional_count"] == len(citizen["parameters"]) > 0
        assert citizen["rules"]["granted_outright_when"][0]["id"] == "national_self_assessment"
    await app.state.runtime.engine.dispose()
    assert await fingerprint_of_database(settings) == before

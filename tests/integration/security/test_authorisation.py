"""Who may read and write what, over HTTP and Kafka, on the real PostgreSQL (and broker).

Builds on tests/integration/registry (one route without a token, with an unknown token and outside
the token's scope in test_http_api.py, with a bulk import row outside it; the rejection notice of a
commune publishing for another commune in test_inbound_on_broker.py): here every route of every
service that needs a token, every kind of entity across communes, and the dead letter as well as
the notice.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from services.metrics.app import build_app as metrics_app
from services.metrics.settings import MetricsSettings
from services.notifications.app import build_app as notifications_app
from services.notifications.settings import NotificationsSettings
from services.recognition.app import build_app as recognition_app
from services.recognition.settings import RecognitionSettings
from services.registry.adapters.db import CITIZENS, HOUSEHOLDS
from services.registry.app import build_app as registry_app
from services.registry.settings import RegistrySettings
from shared.devstack.demo import write_readers
from shared.events import inbound as f
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_REJECTIONS
from shared.events.registry import InboundRejected
from shared.http import load_readers

from ..kafka_helpers import header, read_topic
from ..registry.test_inbound_on_broker import AREAS, eventually, publish
from .conftest import SOURCES, TOKENS, write_publishers

READER = "reader-token-0123456789"
BAD_AUTHORISATIONS = {
    "no header": {},
    "an unknown token": {"Authorization": "Bearer not-a-token"},
    "an empty bearer": {"Authorization": "Bearer "},
    "another scheme": {"Authorization": f"Basic {TOKENS['province']}"},
    "the token's hash": {"Authorization": "Bearer " + "0" * 64},
}
# Two hamlets, one per commune, with one of each entity in each (seeded by the province).
SEED = [
    {"type": "administrative-unit-registered", "data": {"code": "84", "level": "province", "name": "Tỉnh Trà Vinh", "valid_from": "2020-01-01"}},
    *({"type": "administrative-unit-registered", "data": {"code": commune, "level": "commune", "name": f"Xã {commune}", "parent_code": "84", "valid_from": "2020-01-01"}}
      for commune in ("29401", "29407")),
    *({"type": "administrative-unit-registered", "data": {"code": f"{commune}-01", "level": "hamlet", "name": f"Ấp {commune}", "parent_code": commune, "valid_from": "2020-01-01"}}
      for commune in ("29401", "29407")),
    *({"type": "household-registered", "data": {"household_id": f"hh-{commune}", "hamlet_code": f"{commune}-01", "registered_on": "2021-01-01"}}
      for commune in ("29401", "29407")),
    *({"type": "citizen-registered", "data": {"citizen_id": f"c-{commune}", "birth_year": 1980, "household_id": f"hh-{commune}"}}
      for commune in ("29401", "29407")),
    *({"type": "clan-registered", "data": {"clan_id": f"cl-{commune}", "name": "Họ Lê", "home_commune_code": commune, "registered_on": "2021-01-01"}}
      for commune in ("29401", "29407")),
    *({"type": "unit-registered", "data": {"unit_id": f"u-{commune}", "name": "Trường", "kind": "school", "commune_code": commune, "member_count": 5, "registered_on": "2021-01-01"}}
      for commune in ("29401", "29407")),
]


def client(app: FastAPI, name: str) -> httpx.AsyncClient:
    """In process, without the lifespan: authorisation is decided before the database is read."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")


def routes(app: FastAPI, prefix: str = "/v1") -> list[tuple[str, str]]:
    """(method, path with made-up parameters) of every operation under `prefix` the app publishes."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path.startswith(prefix):
            concrete = re.sub(r"\{(\w+)\}", lambda m: {"year": "2025", "title": "learning_family"}.get(m[1], "x-1"), path)
            found += [(method.upper(), concrete) for method in sorted(operations)]
    return found


@pytest.fixture
async def registry(make_settings, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:  # type: ignore[no-untyped-def]
    """The registry's API with a household, citizen, clan and unit in each of two communes."""
    settings = await make_settings(RegistrySettings, publishers_file=write_publishers(tmp_path / "publishers.yaml"))
    app = registry_app(settings)
    async with client(app, "registry") as http:
        body = "\n".join(json.dumps(row, ensure_ascii=False) for row in SEED).encode()
        answer = await http.post("/v1/import", content=body, headers={"Authorization": f"Bearer {TOKENS['province']}",
                                                                         "content-type": "application/x-ndjson"})
        assert [json.loads(line)["status"] for line in answer.text.splitlines()] == ["applied"] * len(SEED)
        yield http, app
    await app.state.runtime.engine.dispose()


async def test_every_registry_route_refuses_a_request_without_a_valid_bearer_token_with_401(registry) -> None:  # type: ignore[no-untyped-def]
    http, app = registry
    every = routes(app)
    assert ("POST", "/v1/import") in every and len(every) >= 12
    for method, path in every:
        for why, headers in BAD_AUTHORISATIONS.items():
            answer = await http.request(method, path, headers=headers, params={"entity_key": "hh-29401"})
            assert answer.status_code == 401, (method, path, why, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path,params", [
    ("/v1/households/hh-29407", {}),
    ("/v1/households", {"hamlet": "29407-01"}),
    ("/v1/households", {"province": "84"}),
    ("/v1/citizens/c-29407", {}),
    ("/v1/citizens", {"household": "hh-29407"}),
    ("/v1/clans/cl-29407", {}),
    ("/v1/clans", {"commune": "29407"}),
    ("/v1/units/u-29407", {}),
    ("/v1/units", {"commune": "29407"}),
    ("/v1/administrative-units", {"parent": "29407"}),
    ("/v1/administrative-units/29407-01", {}),
    ("/v1/audit", {"entity_key": "hh-29401"}),
])
async def test_a_commune_token_is_refused_another_communes_data_with_403(registry, path: str, params: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    http, _ = registry
    commune = {"Authorization": f"Bearer {TOKENS['hoa-loi']}"}
    answer = await http.get(path, params=params, headers=commune)
    assert answer.status_code == 403, answer.text
    assert "hh-29407" not in answer.text and "c-29407" not in answer.text
    own = {k: v.replace("29407", "29401") for k, v in params.items()}
    # The same question about its own commune is answered (not for the whole province, nor the
    # audit log, which need a province-wide token).
    if "29407" in path + "".join(params.values()):
        assert (await http.get(path.replace("29407", "29401"), params=own, headers=commune)).status_code == 200
    assert (await http.get(path, params=params, headers={"Authorization": f"Bearer {TOKENS['province']}"})).status_code == 200


async def test_a_commune_publishers_fact_for_another_commune_is_dead_lettered_announced_and_changes_nothing(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    # The commune's facts come first: its own household waits for its hamlet rather than being
    # refused, the other commune's are refused once their areas are known.
    await publish(running, [
        f.HouseholdRegistered(household_id="hh-8", hamlet_code="29407-01", registered_on="2021-01-01"),
        f.CitizenRegistered(citizen_id="c-8", birth_year=1990, household_id="hh-7", national_id="079201009876"),
        f.HouseholdRegistered(household_id="hh-1", hamlet_code="29401-01", registered_on="2021-01-01"),
    ], source=SOURCES["hoa-loi"], minutes=20)
    await publish(running, [*AREAS, f.HouseholdRegistered(household_id="hh-7", hamlet_code="29407-01", registered_on="2021-01-01")])

    bootstrap, topic = running.settings.kafka_bootstrap_servers, running.settings.topic
    notices = [InboundRejected.model_validate_json(r.value) for r in await read_topic(bootstrap, topic(REGISTRY_REJECTIONS.name), expect=2)]
    assert sorted((n.reason_code, n.rejected_type) for n in notices) == [
        ("not_authorised", f.CitizenRegistered.TYPE), ("not_authorised", f.HouseholdRegistered.TYPE)]
    assert {(n.rejected_source, n.reason) for n in notices} == {(SOURCES["hoa-loi"], "publisher commune-29401 may not publish for area 29407-01")}
    letters = await read_topic(bootstrap, topic(DEAD_LETTERS["registry"].name), expect=2)
    assert sorted(header(r, "ce_id") for r in letters) == sorted(n.rejected_id.encode() for n in notices)
    for letter in letters:
        assert header(letter, "hoctap_dlq_reason") == b"not_authorised: publisher commune-29401 may not publish for area 29407-01"
        assert b"079201009876" not in letter.value
    assert any(b'"national_id":"[redacted]"' in letter.value.replace(b" ", b"") for letter in letters)

    async def count(table: sa.Table, column: sa.Column, key: str) -> int:
        async with running.registry.runtime.engine.connect() as connection:
            return int(await connection.scalar(sa.select(sa.func.count()).select_from(table).where(column == key)))

    assert await eventually(lambda: count(HOUSEHOLDS, HOUSEHOLDS.c.household_id, "hh-1"))
    assert await count(HOUSEHOLDS, HOUSEHOLDS.c.household_id, "hh-8") == 0
    assert await count(CITIZENS, CITIZENS.c.citizen_id, "c-8") == 0


async def test_recognition_serves_decisions_and_simulations_only_to_a_reader_and_rule_sets_to_anyone(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RecognitionSettings, readers_file=write_readers(tmp_path / "readers.yaml", READER))
    app = recognition_app(settings)
    protected = [(m, p) for m, p in routes(app) if not p.startswith("/v1/rule-sets")]
    assert {p for _, p in protected} == {"/v1/decisions/learning_family/x-1/2025", "/v1/decisions/learning_family/x-1/2025/series", "/v1/simulations"}
    async with client(app, "recognition") as http:
        for method, path in protected:
            for why, headers in BAD_AUTHORISATIONS.items():
                answer = await http.request(method, path, headers=headers, json={"rule_set": "x", "year": 2025})
                assert answer.status_code == 401, (method, path, why)
        reader = {"Authorization": f"Bearer {READER}"}
        assert (await http.get("/v1/decisions/learning_family/x-1/2025", headers=reader)).status_code == 404
        assert (await http.get("/v1/decisions/learning_family/x-1/2025/series", headers=reader)).json() == []
        assert (await http.get("/v1/rule-sets")).status_code == 200
    await app.state.runtime.engine.dispose()


async def test_without_a_readers_file_recognition_and_notifications_refuse_every_reader(make_settings) -> None:  # type: ignore[no-untyped-def]
    for app, path in ((recognition_app(await make_settings(RecognitionSettings)), "/v1/decisions/learning_family/x-1/2025"),
                      (notifications_app(await make_settings(NotificationsSettings)), "/v1/alerts")):
        async with client(app, "service") as http:
            answer = await http.get(path, headers={"Authorization": f"Bearer {READER}"})
            assert answer.status_code == 401 and "no reader tokens configured" in answer.text
        await app.state.runtime.engine.dispose()


async def test_notifications_lists_alerts_and_verdicts_only_to_a_reader(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(NotificationsSettings, readers_file=write_readers(tmp_path / "readers.yaml", READER))
    app = notifications_app(settings)
    assert {p for _, p in routes(app)} == {"/v1/alerts", "/v1/verdicts"}
    async with client(app, "notifications") as http:
        for method, path in routes(app):
            for why, headers in BAD_AUTHORISATIONS.items():
                assert (await http.request(method, path, headers=headers)).status_code == 401, (path, why)
            assert (await http.request(method, path, headers={"Authorization": f"Bearer {READER}"})).json() == []
        assert (await http.get("/healthz")).status_code == 200
    await app.state.runtime.engine.dispose()


async def test_metrics_serves_its_aggregate_figures_without_a_token(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = metrics_app(await make_settings(MetricsSettings))
    async with client(app, "metrics") as http:
        assert (await http.get("/v1/indicators")).status_code == 200
    await app.state.runtime.engine.dispose()


def test_a_readers_file_holds_only_token_hashes(tmp_path: Path) -> None:
    readers = load_readers(write_readers(tmp_path / "readers.yaml", READER))
    assert READER not in (tmp_path / "readers.yaml").read_text()
    assert readers.by_token(READER) is not None and readers.by_token(READER + "x") is None
    (tmp_path / "plain.yaml").write_text(f"readers:\n  - name: someone\n    token_sha256: {READER}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="token_sha256"):
        load_readers(tmp_path / "plain.yaml")

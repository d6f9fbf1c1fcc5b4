"""Schemathesis against the HTTP API of each service, built by its own `build_app` and running its
lifespan on the real PostgreSQL and broker, with some data in it and a valid token where a route
needs one: valid and invalid requests never get a 500, and every response conforms to the OpenAPI
document the service publishes (status code, content type, body schema).

Small example counts, derandomized: a regression guard in `make test`, not an exhaustive search.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.metrics.app import build_app as metrics_app
from services.metrics.settings import MetricsSettings
from services.notifications.app import build_app as notifications_app
from services.notifications.settings import NotificationsSettings
from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.app import build_app as recognition_app
from services.recognition.settings import RecognitionSettings
from services.registry.app import build_app as registry_app
from services.registry.settings import RegistrySettings
from shared.devstack.demo import write_readers
from tests.integration.recognition.helpers import feed, records
from tests.unit.recognition.factories import province_history

from .conftest import TOKENS, write_publishers

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

READER = "reader-token-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SEED = [
    {"type": "administrative-unit-registered", "data": {"code": "84", "level": "province", "name": "Tỉnh Trà Vinh", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29401", "level": "commune", "name": "Xã Hòa Lợi", "parent_code": "84", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29401-01", "level": "hamlet", "name": "Ấp Bến Cát", "parent_code": "29401", "valid_from": "2020-01-01"}},
    {"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}},
    {"type": "citizen-registered", "data": {"citizen_id": "c-1", "birth_year": 1980, "household_id": "hh-1", "national_id": "079201001234"}},
    {"type": "clan-registered", "data": {"clan_id": "cl-1", "name": "Họ Nguyễn", "home_commune_code": "29401", "registered_on": "2021-01-01"}},
    {"type": "unit-registered", "data": {"unit_id": "u-1", "name": "Trường", "kind": "school", "commune_code": "29401", "member_count": 3, "registered_on": "2021-01-01"}},
]


def fuzz(app: Any, headers: dict[str, str], *, examples: int = 5, prepare: Callable[[Any], None] | None = None,
         known: dict[str, list[dict[str, Any]]] | None = None) -> Fuzzed:
    """Every operation, valid then invalid inputs, then the `known` cases (operation -> path
    parameters of seeded data, so a found entity's body is checked too). The lifespan runs meanwhile."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the app's lifespan
    found = Fuzzed()
    try:
        if prepare is not None:
            with asgi.get_client(app) as client:
                prepare(client)
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                checks = CHECKS if mode is GenerationMode.POSITIVE else [not_a_server_error]
                try:
                    exercise(operation, mode, checks, headers, examples, found)()
                except Unsatisfiable:
                    if mode is GenerationMode.POSITIVE:
                        raise
                    # Nothing to make invalid: the operation takes no input.
                except Exception as error:  # the app raised (a 500 behind a server), or the harness did
                    found.failures[f"{operation.label} ({mode.value}): {type(error).__name__}: {error}"] = ""
        for result in schema.get_all_operations():
            operation = result.ok()
            for path_parameters in (known or {}).get(operation.label, []):
                case = operation.Case(path_parameters=path_parameters)
                response = case.call(headers=headers)
                found.statuses[(operation.label, "known", response.status_code)] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (FailureGroup, AssertionError) as error:
                    found.failures[f"{operation.label} {path_parameters}: {error}"] = str(response.status_code)
        return found
    finally:
        asgi.shutdown_lifespans()


def exercise(operation: Any, mode: GenerationMode, checks: list[Any], headers: dict[str, str], examples: int,
             found: Fuzzed) -> Callable[[], None]:
    """A hypothesis test of one operation, recording every distinct failure instead of stopping."""

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        found.statuses[(operation.label, mode.value, response.status_code)] += 1
        try:
            case.validate_response(response, checks=checks)
        except (FailureGroup, AssertionError) as error:
            found.failures.setdefault(f"{operation.label} ({mode.value}): {' / '.join(str(error).splitlines()[:4])}",
                                      f"{case.method} {case.formatted_path} -> {response.status_code}")

    return run


@dataclass
class Fuzzed:
    failures: dict[str, str] = field(default_factory=dict)
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def answered(self, operation: str, status: int) -> bool:
        return any(n for (label, _, code), n in self.statuses.items() if label == operation and code == status)

    def check(self) -> None:
        assert not self.failures, "\n".join(f"{what} (e.g. {example})" for what, example in self.failures.items())


def test_the_registry_api_never_answers_500_and_keeps_to_its_schema(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = asyncio.run(make_settings(RegistrySettings, publishers_file=write_publishers(tmp_path / "publishers.yaml")))
    token = {"Authorization": f"Bearer {TOKENS['province']}"}

    def seed(client: Any) -> None:
        body = "\n".join(json.dumps(row, ensure_ascii=False) for row in SEED).encode()
        answer = client.post("/v1/import", data=body, headers={**token, "content-type": "application/x-ndjson"})
        assert [json.loads(line)["status"] for line in answer.text.splitlines()] == ["applied"] * len(SEED)

    known = {"GET /v1/administrative-units/{code}": [{"code": "29401-01"}], "GET /v1/households/{entity_id}": [{"entity_id": "hh-1"}],
             "GET /v1/citizens/{entity_id}": [{"entity_id": "c-1"}], "GET /v1/clans/{entity_id}": [{"entity_id": "cl-1"}],
             "GET /v1/units/{entity_id}": [{"entity_id": "u-1"}]}
    found = fuzz(registry_app(settings), token, prepare=seed, known=known)
    found.check()
    assert all(found.answered(operation, 200) for operation in known)
    assert found.answered("GET /v1/households", 200) and found.answered("GET /v1/households/{entity_id}", 404)


def test_the_recognition_api_never_answers_500_and_keeps_to_its_schema(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = asyncio.run(make_settings(RecognitionSettings, readers_file=write_readers(tmp_path / "readers.yaml", READER)))
    asyncio.run(feed(settings, load_rule_book(), [records(province_history())]))
    decision = {"title": "learning_unit", "entity_id": "unit-1", "year": 2025}
    known = {"GET /v1/decisions/{title}/{entity_id}/{year}": [decision], "GET /v1/decisions/{title}/{entity_id}/{year}/series": [decision],
             "GET /v1/rule-sets/{rule_set_id}/{version}": [{"rule_set_id": "learning-family", "version": "2016.1"}]}
    found = fuzz(recognition_app(settings), {"Authorization": f"Bearer {READER}"}, known=known)
    found.check()
    assert all(found.answered(operation, 200) for operation in known)
    assert found.answered("GET /v1/rule-sets", 200) and found.answered("POST /v1/simulations", 422)


def test_the_metrics_api_never_answers_500_and_keeps_to_its_schema(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = asyncio.run(make_settings(MetricsSettings))
    found = fuzz(metrics_app(settings), {})
    found.check()
    assert found.answered("GET /v1/indicators", 200)
    assert found.answered("GET /v1/reports/december", 404), "an empty year's report is a declared 404"


def test_the_notifications_api_never_answers_500_and_keeps_to_its_schema(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = asyncio.run(make_settings(NotificationsSettings, readers_file=write_readers(tmp_path / "readers.yaml", READER)))
    found = fuzz(notifications_app(settings), {"Authorization": f"Bearer {READER}"})
    found.check()
    assert found.answered("GET /v1/alerts", 200) and found.answered("GET /v1/verdicts", 200)

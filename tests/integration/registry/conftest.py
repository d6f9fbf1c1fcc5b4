"""A registry running in-process on the real PostgreSQL and broker, with publishers and tokens."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from services.registry.app import Registry, build_app
from services.registry.settings import RegistrySettings

TOKENS = {"province": "token-province-84", "hoa-loi": "token-commune-29401"}
SOURCES = {"province": "/vn/84/statistics", "hoa-loi": "/vn/84/29401/civil-registry"}


@dataclass
class RunningRegistry:
    registry: Registry
    settings: RegistrySettings
    http: httpx.AsyncClient

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[who]}"}


def write_publishers(path: Path) -> Path:
    document = {
        "publishers": [
            {"name": "province-84", "sources": [SOURCES["province"], "/cli/import-areas"], "areas": ["*"],
             "token_sha256": hashlib.sha256(TOKENS["province"].encode()).hexdigest()},
            {"name": "commune-29401", "sources": [SOURCES["hoa-loi"]], "areas": ["29401"],
             "token_sha256": hashlib.sha256(TOKENS["hoa-loi"].encode()).hexdigest()},
        ]
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
async def running_registry(make_settings, tmp_path: Path) -> AsyncIterator[RunningRegistry]:  # type: ignore[no-untyped-def]
    settings = await make_settings(
        RegistrySettings,
        publishers_file=write_publishers(tmp_path / "publishers.yaml"),
        park_seconds=3.0,
        park_retry_seconds=0.5,
        import_chunk_rows=50,
    )
    app = build_app(settings)
    registry: Registry = app.state.registry
    async with registry.runtime.lifespan():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry") as http:
            yield RunningRegistry(registry, settings, http)


async def import_rows(running: RunningRegistry, rows: list[dict[str, Any]], who: str = "province") -> list[dict[str, Any]]:
    import json

    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    response = await running.http.post("/v1/import", content=body.encode(), headers={**running.as_(who), "content-type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]

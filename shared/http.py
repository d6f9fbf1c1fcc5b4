"""The HTTP face every service shows: /healthz, /readyz and /metrics, on a FastAPI app; and the
bearer tokens that guard routes serving personal data."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import FastAPI, HTTPException, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ReadinessCheck = Callable[[], Awaitable[Mapping[str, bool]]]


def service_app(
    *,
    service: str,
    version: str,
    registry: CollectorRegistry,
    readiness: ReadinessCheck,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
    before_scrape: Callable[[], Awaitable[None]] | None = None,
    description: str = "",
    extra_exposition: Callable[[], bytes] | None = None,
) -> FastAPI:
    """`extra_exposition` returns text-format lines appended to the registry's at each scrape, for a
    collector too large for prometheus_client's per-sample formatting (metrics' indicator cells)."""
    app = FastAPI(title=f"hoctap {service}", version=version, description=description, lifespan=lifespan)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process is serving")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["operations"], summary="Readiness: database and broker reachable",
             responses={503: {"description": "Not ready: `checks` says what is unreachable."}})
    async def readyz() -> JSONResponse:
        checks = dict(await readiness())
        ready = bool(checks) and all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus exposition", response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "The text exposition format."}})
    async def metrics() -> Response:
        if before_scrape is not None:
            await before_scrape()
        body = generate_latest(registry)
        if extra_exposition is not None:
            body += extra_exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app


# --- bearer tokens ------------------------------------------------------------------------------

BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
UNAUTHORISED = {401: {"description": "No bearer token, or one that is not recognised."}}


def unauthorised(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    """The token of an `Authorization: Bearer` header, or 401."""
    if credentials is None:
        raise unauthorised("a bearer token is required")
    return credentials.credentials.strip()


@dataclass(frozen=True, slots=True)
class Reader:
    name: str
    token_sha256: str


class _ReaderEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class _ReadersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    readers: list[_ReaderEntry]


class ReaderTokens:
    """Who may read a service's personal data over HTTP: named tokens, kept only as SHA-256 digests
    (the registry's publishers file uses the same `token_sha256`). None configured: nobody may."""

    def __init__(self, readers: Iterable[Reader] = ()) -> None:
        self.readers = tuple(readers)

    def by_token(self, token: str) -> Reader | None:
        digest = token_sha256(token)
        return next((r for r in self.readers if hmac.compare_digest(r.token_sha256, digest)), None)

    def dependency(self) -> Callable[..., Awaitable[Reader]]:
        """A FastAPI dependency: the reader behind the request's bearer token, or 401."""

        async def reader(credentials: Credentials = None) -> Reader:
            if not self.readers:
                raise unauthorised("this service has no reader tokens configured")
            found = self.by_token(bearer_token(credentials))
            if found is None:
                raise unauthorised("the bearer token is not recognised")
            return found

        return reader


def load_readers(path: Path | None) -> ReaderTokens:
    """Reads a readers file (`readers: [{name, token_sha256}]`); no file means no readers.

        readers:
          - name: province-dashboard
            token_sha256: "9f86d0..."        # sha256 of the bearer token, never the token
    """
    if path is None:
        return ReaderTokens()
    try:
        parsed = _ReadersFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except (yaml.YAMLError, ValidationError) as error:
        raise ValueError(f"{path}: {error}") from None
    names = [r.name for r in parsed.readers]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: reader names must be unique")
    return ReaderTokens(Reader(r.name, r.token_sha256) for r in parsed.readers)

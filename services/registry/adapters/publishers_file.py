"""Reads the publishers file: who may publish facts (by CloudEvents source or bearer token) and
for which areas.

    publishers:
      - name: commune-29401
        sources: ["/vn/84/29401/civil-registry"]
        areas: ["29401"]                  # this commune and everything in it; "*" = all
        token_sha256: "9f86d0..."         # optional: sha256 of the HTTP bearer token
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..domain.scope import Publisher, Publishers


class _PublisherEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    sources: list[str] = Field(default_factory=list)
    areas: list[str] = Field(min_length=1)
    token_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class _PublishersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publishers: list[_PublisherEntry]


def load_publishers(path: Path | None, *, enforce: bool) -> Publishers:
    if path is None:
        return Publishers((), enforce=enforce)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _PublishersFile.model_validate(document)
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found") from None
    except (yaml.YAMLError, ValidationError) as error:
        raise ValueError(f"{path}: {error}") from None
    names = [p.name for p in parsed.publishers]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: publisher names must be unique")
    return Publishers(
        tuple(Publisher(p.name, tuple(p.sources), tuple(p.areas), p.token_sha256) for p in parsed.publishers),
        enforce=enforce,
    )

"""Who may publish what: each publisher (a CloudEvents `source`, or an HTTP bearer token) acts
for a set of areas and everything inside them. `*` means every area.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

ALL_AREAS = "*"


@dataclass(frozen=True, slots=True)
class Publisher:
    name: str
    sources: tuple[str, ...]
    areas: tuple[str, ...]
    token_sha256: str | None = None

    def covers(self, chain: Iterable[str]) -> bool:
        """`chain` is an area and its ancestors; the publisher covers it if it holds any of them."""
        return ALL_AREAS in self.areas or any(code in self.areas for code in chain)


@dataclass(frozen=True)
class Publishers:
    publishers: tuple[Publisher, ...]
    enforce: bool = True

    def by_source(self, source: str) -> Publisher | None:
        return next((p for p in self.publishers if source in p.sources), None)

    def by_name(self, name: str) -> Publisher | None:
        return next((p for p in self.publishers if p.name == name), None)

    def by_token(self, token: str) -> Publisher | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return next(
            (p for p in self.publishers if p.token_sha256 and hmac.compare_digest(p.token_sha256, digest)), None
        )


UNRESTRICTED = Publisher("unrestricted", (), (ALL_AREAS,))

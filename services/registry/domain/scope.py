"""Who may publish what: each publisher (a CloudEvents `source`, or an HTTP bearer token) acts
for a set of areas and everything inside them. `*` means every area.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    _by_source: dict[str, Publisher] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Looked up for every fact: a dict, not a scan (the first publisher naming a source wins).
        by_source: dict[str, Publisher] = {}
        for publisher in self.publishers:
            for source in publisher.sources:
                by_source.setdefault(source, publisher)
        object.__setattr__(self, "_by_source", by_source)

    def by_source(self, source: str) -> Publisher | None:
        return self._by_source.get(source)

    def by_name(self, name: str) -> Publisher | None:
        return next((p for p in self.publishers if p.name == name), None)

    def by_token(self, token: str) -> Publisher | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return next(
            (p for p in self.publishers if p.token_sha256 and hmac.compare_digest(p.token_sha256, digest)), None
        )


UNRESTRICTED = Publisher("unrestricted", (), (ALL_AREAS,))

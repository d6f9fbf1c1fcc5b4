"""Security tests on the real PostgreSQL (and broker where a service's lifespan needs it).

Reuses the registry's publishers (a province-wide one and a commune-scoped one) and tokens.
"""

from __future__ import annotations

from tests.integration.registry.conftest import SOURCES, TOKENS, running_registry, write_publishers

__all__ = ["SOURCES", "TOKENS", "running_registry", "write_publishers"]

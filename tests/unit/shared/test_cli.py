"""`serve` tunes the garbage collector before it serves."""

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from services.metrics.__main__ import main


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_serve_freezes_startup_objects_and_sets_the_configured_thresholds(
    monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append((app, options)))
    monkeypatch.setenv("METRICS_GC_THRESHOLDS", "[20000, 15, 30]")
    gc.unfreeze()
    assert main(["serve"]) == 0
    assert len(served) == 1
    assert gc.get_threshold() == (20000, 15, 30)
    assert gc.get_freeze_count() > 0

"""Renders each Kustomize overlay once per session for the deployment tests."""

from __future__ import annotations

import pytest

from .manifests import K8S, OVERLAYS, Manifests, kustomize

_rendered: dict[str, Manifests] = {}


@pytest.fixture(params=OVERLAYS)
def manifests(request: pytest.FixtureRequest) -> Manifests:
    """The objects of one overlay (each test runs once per overlay)."""
    overlay = request.param
    if overlay not in _rendered:
        _rendered[overlay] = Manifests(overlay, tuple(kustomize(K8S / "overlays" / overlay)))
    return _rendered[overlay]

"""The manifests derived from code are up to date with it (deploy/k8s/generate.py)."""

from __future__ import annotations

import importlib.util

import pytest

from .manifests import K8S

pytestmark = pytest.mark.contract


def test_generated_manifests_match_the_catalogue_and_the_alert_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("deploy_k8s_generate", K8S / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    status = generate.main(["--check"])
    assert status == 0, f"run `.venv/bin/python deploy/k8s/generate.py`:\n{capsys.readouterr().out}"

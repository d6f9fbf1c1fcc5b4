"""promtool accepts the alert rules and their unit tests fire and clear every alert."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .manifests import PROMETHEUS

pytestmark = pytest.mark.contract

RULE_FILE = PROMETHEUS / "alerts.yaml"
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.yaml"))


def promtool(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: apt-get install -y --no-install-recommends prometheus")
    return subprocess.run(
        ["promtool", *map(str, arguments)], capture_output=True, text=True, timeout=120, check=False
    )


def alert_names() -> set[str]:
    groups = yaml.safe_load(RULE_FILE.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def test_promtool_accepts_the_alert_rules() -> None:
    result = promtool("check", "rules", RULE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_unit_tests_pass() -> None:
    assert TEST_FILES, "deploy/prometheus/tests/ holds promtool unit tests"
    result = promtool("test", "rules", *TEST_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_that_fires_it_and_later_clears_it() -> None:
    fired_then_cleared: set[str] = set()
    tested: set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            checks: dict[str, list[tuple[int, bool]]] = {}
            for check in case.get("alert_rule_test") or []:
                minutes = _minutes(check["eval_time"])
                checks.setdefault(check["alertname"], []).append(
                    (minutes, bool(check["exp_alerts"]))
                )
            for alert, timeline in checks.items():
                tested.add(alert)
                timeline.sort()
                firing = [t for t, fires in timeline if fires]
                if firing and any(t > firing[0] and not fires for t, fires in timeline):
                    fired_then_cleared.add(alert)
    assert tested <= alert_names(), f"tests name unknown alerts: {sorted(tested - alert_names())}"
    missing = alert_names() - fired_then_cleared
    assert not missing, f"no case fires and then clears: {sorted(missing)}"


def _minutes(duration: str) -> int:
    units = {"m": 1, "h": 60}
    assert duration[-1] in units, duration
    return int(duration[:-1]) * units[duration[-1]]

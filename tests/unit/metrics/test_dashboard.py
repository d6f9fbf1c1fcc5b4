"""The Grafana dashboard only queries metric names the services export (derived from the code)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.registry import CollectorRegistry

from services.metrics.app import build_app
from services.metrics.settings import MetricsSettings

DASHBOARDS = sorted((Path(__file__).resolve().parents[3] / "deploy" / "grafana").glob("*.json"))
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}
PROMQL_WORDS = {
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "group",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "rate",
    "increase",
    "irate",
    "delta",
    "histogram_quantile",
    "label_values",
    "topk",
    "bottomk",
    "abs",
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "clamp_min",
    "clamp_max",
    "last_over_time",
    "max_over_time",
    "vector",
    "scalar",
}


def exported_names() -> set[str]:
    """Every sample name the metrics app can expose (its registry and its indicator collector)."""
    app = build_app(MetricsSettings())
    registry: CollectorRegistry = app.state.runtime.registry
    names = set()
    for family in [*registry.collect(), *app.state.indicator_collector.collect()]:
        names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def queries(dashboard: dict) -> list[str]:  # type: ignore[type-arg]
    found = []
    for panel in dashboard["panels"]:
        found += [t["expr"] for t in panel.get("targets", []) if "expr" in t]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        if variable["type"] == "query":
            found.append(query["query"] if isinstance(query, dict) else query)
    return found


def metric_names(expression: str) -> set[str]:
    """Identifiers in a PromQL expression that are not labels, functions, keywords or numbers."""
    text = re.sub(r'"[^"]*"', "", expression)  # label values and strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = (
        re.sub(r",\s*[a-z_]+\s*\)", ")", text) if "label_values" in text else text
    )  # label_values' label
    return {
        word for word in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text) if word not in PROMQL_WORDS
    }


def test_there_is_a_dashboard_with_the_three_views_the_issue_asks_for() -> None:
    assert DASHBOARDS, "no dashboard JSON under deploy/grafana"
    dashboard = json.loads(DASHBOARDS[0].read_text(encoding="utf-8"))
    rows = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}
    assert {"Province overview", "Commune drill-down", "Year-over-year growth"} <= rows
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"title", "year", "commune"} <= variables
    expressions = " ".join(queries(dashboard))
    assert "hoctap_title_target_ratio" in expressions and "hoctap_title_goal_ratio" in expressions


def test_every_query_uses_only_metric_names_the_services_export() -> None:
    exported = exported_names()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for expression in queries(dashboard):
            names = metric_names(expression)
            assert names, f"{path.name}: no metric in {expression!r}"
            unknown = names - exported
            assert not unknown, f"{path.name}: {sorted(unknown)} in {expression!r} are not exported"


def test_the_name_check_would_catch_a_misspelt_metric() -> None:
    assert metric_names(
        'sum by (topic) (rate(hoctap_metrics_events_consumed_total{topic="x"}[5m]))'
    ) == {"hoctap_metrics_events_consumed_total"}
    assert "hoctap_title_recognized_ratio" not in exported_names()


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian package prometheus) is not installed"
)
def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    variables = {"$title": "learning_family", "$year": "2024", "$commune": "29401"}
    rules = []
    for path in DASHBOARDS:
        for number, expression in enumerate(queries(json.loads(path.read_text(encoding="utf-8")))):
            if expression.startswith("label_values("):
                expression = expression.removeprefix("label_values(").rsplit(",", 1)[0]
            for name, value in variables.items():
                expression = expression.replace(name, value)
            rules.append({"record": f"dashboard:query_{number}", "expr": expression})
    file = tmp_path / "dashboard-rules.yaml"
    file.write_text(
        json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8"
    )
    result = subprocess.run(
        ["promtool", "check", "rules", str(file)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

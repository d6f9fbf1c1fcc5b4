"""The prometheus-operator objects scrape every service, carry the Prometheus selector label, and
alert only on metrics the services really export."""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from shared.events.catalogue import SERVICES
from shared.observability import ServiceMetrics

from .manifests import K8S, PROMETHEUS, REPO, Manifests, group_of, selects

pytestmark = pytest.mark.contract

ALERTS = yaml.safe_load((PROMETHEUS / "alerts.yaml").read_text(encoding="utf-8"))
RULES = [rule for group in ALERTS["groups"] for rule in group["rules"]]


def service_metric_classes(names: set[str]) -> list[type]:
    """The services' own metric holders that define any of `names`: the classes named *Metrics,
    built from a registry alone, in the modules where those names are written."""
    found = []
    for path in sorted((REPO / "services").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if not any(f'"{name.removesuffix("_total")}' in source for name in names):
            continue
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and value.__name__.endswith("Metrics")
                and value.__module__ == module.__name__
            ):
                if list(inspect.signature(value).parameters) == ["registry"]:
                    found.append(value)
    return found


def exported() -> dict[str, dict[str, set[str]]]:
    """Every metric name the services export -> label -> values initialised at start-up."""
    registry = CollectorRegistry()
    for service in SERVICES:
        metrics = ServiceMetrics(service, registry)
        metrics.declare_topics(["some.topic.v1"], ["some.topic.v1"])
    for holder in service_metric_classes(
        {n for rule in RULES for n in referenced_metrics(rule["expr"])}
    ):
        holder(registry)
    found: dict[str, dict[str, set[str]]] = {}
    for family in registry.collect():
        names = {family.name, f"{family.name}_total"} if family.type == "counter" else {family.name}
        for name in names:
            labels = found.setdefault(name, {})
            for sample in family.samples:
                for label, value in sample.labels.items():
                    labels.setdefault(label, set()).add(value)
    return found


def referenced_metrics(expression: str) -> set[str]:
    """Metric names in a PromQL expression, expanding `__name__=~"hoctap_(a|b)_x"` alternatives."""
    names = set(re.findall(r"\b(hoctap_[a-z_]+)\s*[{\[(]", expression))
    for pattern in re.findall(r'__name__=~"([^"]+)"', expression):
        match = re.fullmatch(r"(\w*)\(([\w|]+)\)(\w*)", pattern)
        assert match, f"unsupported name pattern {pattern}"
        names |= {match.group(1) + option + match.group(3) for option in match.group(2).split("|")}
    return names


def service_monitors_for(manifests: Manifests, service: dict[str, Any]) -> list[dict[str, Any]]:
    labels = service["metadata"].get("labels") or {}
    return [
        m for m in manifests.of_kind("ServiceMonitor") if selects(m["spec"]["selector"], labels)
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_one_service_monitor_matching_its_labels_and_port_name(
    manifests: Manifests, service: str
) -> None:
    target = manifests.get("Service", service)
    monitors = service_monitors_for(manifests, target)
    assert len(monitors) == 1, f"{service}: {len(monitors)} ServiceMonitors select it"
    port_names = {p["name"] for p in target["spec"]["ports"]}
    for endpoint in monitors[0]["spec"]["endpoints"]:
        assert endpoint["port"] in port_names
        assert endpoint.get("path", "/metrics") == "/metrics"
    assert "jobLabel" not in monitors[0]["spec"], "the alerts expect job = the Service name"
    assert monitors[0]["metadata"]["namespace"] == target["metadata"]["namespace"] or monitors[0][
        "spec"
    ].get("namespaceSelector")


def test_monitoring_objects_carry_the_prometheus_selector_label_the_readme_documents(
    manifests: Manifests,
) -> None:
    readme = (K8S / "components" / "monitoring" / "README.md").read_text(encoding="utf-8")
    key = re.search(r"The label key is \*\*`([^`]+)`\*\*", readme)
    assert key, "components/monitoring/README.md names the selector label"
    objects = [d for d in manifests.documents if group_of(d) == "monitoring.coreos.com"]
    assert {d["kind"] for d in objects} == {"ServiceMonitor", "PrometheusRule"}
    values = {(d["metadata"].get("labels") or {}).get(key.group(1)) for d in objects}
    assert None not in values, (
        f"an object lacks the {key.group(1)} label: Prometheus would ignore it"
    )
    assert len(values) == 1, f"the monitoring objects disagree on {key.group(1)}: {values}"


def test_the_prometheus_rule_holds_exactly_the_rules_of_deploy_prometheus(
    manifests: Manifests,
) -> None:
    rules = manifests.of_kind("PrometheusRule")
    assert len(rules) == 1
    assert rules[0]["spec"]["groups"] == ALERTS["groups"]


def test_alerts_name_only_metrics_and_label_values_the_services_export() -> None:
    known = exported()
    for rule in RULES:
        for name in referenced_metrics(rule["expr"]):
            assert name in known, f"{rule['alert']}: no service exports {name}"
        for label, values in re.findall(r'(\w+)=~?"([^"]+)"', rule["expr"]):
            if label in ("__name__", "job"):
                continue
            names = [n for n in referenced_metrics(rule["expr"]) if label in known.get(n, {})]
            assert names, f"{rule['alert']}: no referenced metric has a {label} label"
            offered = set().union(*(known[n][label] for n in names))
            for value in values.split("|"):
                assert value in offered, f"{rule['alert']}: {label}={value} is never exported"


def test_alerts_cover_exactly_the_catalogue_services() -> None:
    for rule in RULES:
        expression = rule["expr"]
        for options in re.findall(r'job=~"([^"]+)"', expression) + re.findall(
            r"hoctap_\(([\w|]+)\)_", expression
        ):
            assert set(options.split("|")) == set(SERVICES), rule["alert"]
    absent = next(r for r in RULES if r["alert"] == "HoctapServiceAbsent")
    assert set(re.findall(r'absent\(up\{job="(\w+)"\}\)', absent["expr"])) == set(SERVICES)


def test_every_alert_has_a_severity_a_summary_and_a_runbook_section_that_exists() -> None:
    runbook = (REPO / "docs" / "runbook.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", runbook, re.MULTILINE)
    }
    for rule in RULES:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        document, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert document == "docs/runbook.md" and anchor in anchors, (
            f"{rule['alert']}: no section #{anchor}"
        )

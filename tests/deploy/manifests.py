"""Helpers for the deployment tests: render overlays, index objects, read what the code expects.

Expectations come from the code (shared/events/catalogue.py, the settings classes), never from
copies, so a new topic or setting that the manifests miss fails a test.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.events.catalogue import SERVICES, TOPICS, TopicSpec
from shared.settings import BaseServiceSettings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
PROMETHEUS = REPO / "deploy" / "prometheus"
OVERLAYS = sorted(
    p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists()
)
# Kinds whose schemas ship with no validator: operators' custom resources, checked structurally.
CUSTOM_GROUPS = {
    "kafka.strimzi.io",
    "postgresql.cnpg.io",
    "barmancloud.cnpg.io",
    "monitoring.coreos.com",
}
# Settings the manifests already pass for SASL/TLS to Kafka, which shared/settings.py does not read
# yet (docs/runbook.md "Kafka credentials"); they are ignored until it does.
PENDING_SETTINGS: set[str] = set()


def kustomize(path: Path) -> list[dict[str, Any]]:
    """Render a kustomization with kubectl (or a standalone kustomize) and parse the documents."""
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(path)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(path)]
    else:
        pytest.fail("rendering needs kubectl (or kustomize) on PATH; see docs/runbook.md 'Tools'")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def group_of(document: dict[str, Any]) -> str:
    api_version = document["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


@dataclass(frozen=True)
class Manifests:
    """The objects one overlay renders to."""

    overlay: str
    documents: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.overlay}: expected one {kind} {name!r}, found {len(found)}"
        return found[0]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        return found[0] if found else None

    def config(self, service: str) -> dict[str, str]:
        return self.get("ConfigMap", f"{service}-config").get("data") or {}

    def workloads(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(object, pod template) for every Deployment and Job."""
        for document in self.documents:
            if document["kind"] in ("Deployment", "Job"):
                yield document, document["spec"]["template"]

    def topic_prefix(self) -> str:
        """The HOCTAP_TOPIC_PREFIX every service is configured with (they must agree)."""
        prefixes = {
            self.config(s).get(
                f"{env_prefix(s)}TOPIC_PREFIX", self.config(s).get("HOCTAP_TOPIC_PREFIX", "")
            )
            for s in SERVICES
        }
        assert len(prefixes) == 1, (
            f"{self.overlay}: services disagree on the topic prefix: {prefixes}"
        )
        return prefixes.pop()


def settings_class(service: str) -> type[BaseServiceSettings]:
    module = importlib.import_module(f"services.{service}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseServiceSettings)
        and value is not BaseServiceSettings
    ]
    assert len(classes) == 1, f"services/{service}/settings.py should define one settings class"
    return classes[0]


def env_prefix(service: str) -> str:
    return str(settings_class(service).model_config["env_prefix"])


def setting_default(service: str, field: str) -> Any:
    return settings_class(service).model_fields[field].default


def settings_variables(service: str) -> dict[str, str]:
    """Every environment variable the service reads (its prefix, then HOCTAP_) -> the field name."""
    fields = set(settings_class(service).model_fields) | PENDING_SETTINGS
    names: dict[str, str] = {}
    for field in fields:
        names[f"{env_prefix(service)}{field}".upper()] = field
        names[f"HOCTAP_{field}".upper()] = field
    return names


def consumed_by(party: str) -> list[TopicSpec]:
    return [t for t in TOPICS if party in t.consumers]


def produced_by(party: str) -> list[TopicSpec]:
    return [t for t in TOPICS if t.producer == party]


def container(template: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    containers = template["spec"]["containers"]
    if name is None:
        assert len(containers) == 1, "one container per pod"
        return containers[0]
    return next(c for c in containers if c["name"] == name)


def env_value_from(container_spec: dict[str, Any], variable: str) -> dict[str, Any] | None:
    for item in container_spec.get("env") or []:
        if item["name"] == variable:
            return item.get("valueFrom") or {"value": item.get("value")}
    return None


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a Kubernetes label selector (matchLabels and matchExpressions) matches the labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = (
            expression["key"],
            expression["operator"],
            expression.get("values") or [],
        )
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True

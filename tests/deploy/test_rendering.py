"""Every overlay renders, its built-in kinds pass strict schema validation, and nothing secret or
selector-rewriting is committed."""

from __future__ import annotations

import re

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

from .manifests import CUSTOM_GROUPS, K8S, Manifests, group_of, kustomize

pytestmark = pytest.mark.contract

KUBERNETES_VERSION = "1.30.0"
NAMESPACED_BUILT_IN = {
    "ConfigMap",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Job",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Service",
    "ServiceAccount",
}


def test_the_base_renders_on_its_own_with_the_four_services() -> None:
    documents = kustomize(K8S / "base")
    deployments = sorted(d["metadata"]["name"] for d in documents if d["kind"] == "Deployment")
    assert deployments == sorted(["registry", "recognition", "metrics", "notifications"])


def test_every_overlay_renders_to_named_objects(manifests: Manifests) -> None:
    assert manifests.documents, f"{manifests.overlay} rendered nothing"
    for document in manifests.documents:
        assert document.get("apiVersion") and document.get("kind")
        assert document.get("metadata", {}).get("name"), f"unnamed {document['kind']}"


def test_built_in_kinds_pass_strict_validation_for_kubernetes_1_30(manifests: Manifests) -> None:
    validated, failures = 0, []
    for document in manifests.documents:
        label = f"{document['kind']}/{document['metadata']['name']}"
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            validated += 1
        except SchemaNotFoundError:
            # Only operators' custom resources may lack a bundled schema; a misspelt built-in
            # apiVersion (apps/v2, say) would also land here and must fail.
            if group_of(document) not in CUSTOM_GROUPS:
                failures.append(
                    f"{label}: Kubernetes {KUBERNETES_VERSION} has no {document['apiVersion']}"
                )
        except ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            failures.append(f"{label} at {path or '(root)'}: {error.message}")
    assert not failures, "\n".join(failures)
    assert validated >= len([d for d in manifests.documents if group_of(d) not in CUSTOM_GROUPS])


def test_every_namespaced_object_lands_in_the_overlay_namespace(manifests: Manifests) -> None:
    namespaces = manifests.of_kind("Namespace")
    assert len(namespaces) == 1, "each overlay creates its namespace"
    namespace = namespaces[0]["metadata"]["name"]
    labels = namespaces[0]["metadata"].get("labels") or {}
    assert labels.get("pod-security.kubernetes.io/enforce"), "Pod Security Admission is enforced"
    for document in manifests.documents:
        if document["kind"] in NAMESPACED_BUILT_IN or group_of(document) in CUSTOM_GROUPS:
            assert document["metadata"].get("namespace") == namespace, document["metadata"]["name"]


def test_no_secret_is_committed_or_generated(manifests: Manifests) -> None:
    assert not manifests.of_kind("Secret"), (
        "secrets are created out of band (docs/runbook.md 'Secrets')"
    )
    for path in K8S.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^kind:\s*Secret\s*$", text, re.MULTILINE), path
        assert "secretGenerator" not in text, path


def test_kustomizations_use_labels_never_common_labels() -> None:
    """commonLabels rewrites selectors, which are immutable on live Deployments and Services."""
    kustomizations = list(K8S.rglob("kustomization.yaml"))
    assert kustomizations
    for path in kustomizations:
        assert "commonLabels" not in yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_selectors_hold_only_the_stable_service_labels(manifests: Manifests) -> None:
    for deployment in manifests.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        stable = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "service"}
        assert deployment["spec"]["selector"] == {"matchLabels": stable}
        assert manifests.get("Service", name)["spec"]["selector"] == stable

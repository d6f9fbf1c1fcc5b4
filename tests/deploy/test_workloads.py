"""Deployments and migration Jobs: hardened, probed, sized, drained, and configured with settings
the services actually read, secrets by reference only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.events.catalogue import SERVICES

from .manifests import (
    REPO,
    Manifests,
    container,
    env_prefix,
    env_value_from,
    setting_default,
    settings_variables,
)

pytestmark = pytest.mark.contract


def drain_seconds() -> int:
    """What a stopping pod may spend draining, read from the code that does it: uvicorn's HTTP drain
    (shared/cli.py) plus the consumers finishing their in-flight batch (shared/kafka.py)."""
    cli = (REPO / "shared" / "cli.py").read_text(encoding="utf-8")
    kafka = (REPO / "shared" / "kafka.py").read_text(encoding="utf-8")
    http = re.search(r"timeout_graceful_shutdown=(\d+)", cli)
    batches = re.search(r"graceful_timeout=([\d.]+)", kafka)
    assert http and batches, "the shutdown timeouts moved: update this test"
    return int(http.group(1)) + int(float(batches.group(1)))


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_deployment_service_account_config_and_migrations_job(
    manifests: Manifests, service: str
) -> None:
    manifests.get("Deployment", service)
    manifests.get("Service", service)
    manifests.get("ServiceAccount", service)
    manifests.get("ConfigMap", f"{service}-config")
    job = manifests.get("Job", f"{service}-migrate")
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == service


def test_every_pod_runs_non_root_with_a_read_only_root_filesystem_and_no_capabilities(
    manifests: Manifests,
) -> None:
    for workload, template in manifests.workloads():
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = template["spec"].get("securityContext") or {}
        assert pod.get("runAsNonRoot") is True, name
        assert pod.get("runAsUser", 0) != 0, name
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        assert template["spec"].get("automountServiceAccountToken") is False, name
        for spec in template["spec"]["containers"] + (template["spec"].get("initContainers") or []):
            security = spec.get("securityContext") or {}
            assert security.get("readOnlyRootFilesystem") is True, name
            assert security.get("allowPrivilegeEscalation") is False, name
            assert security.get("capabilities", {}).get("drop") == ["ALL"], name
            assert not security.get("capabilities", {}).get("add"), name
            assert security.get("privileged") in (None, False), name


def test_every_container_has_cpu_and_memory_requests_and_limits(manifests: Manifests) -> None:
    for workload, template in manifests.workloads():
        for spec in template["spec"]["containers"]:
            resources = spec.get("resources") or {}
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert resources.get(kind, {}).get(resource), (
                        f"{workload['metadata']['name']}: no {resource} {kind}"
                    )


@pytest.mark.parametrize("service", SERVICES)
def test_probes_check_healthz_for_liveness_and_readyz_for_readiness_on_the_service_port(
    manifests: Manifests, service: str
) -> None:
    template = manifests.get("Deployment", service)["spec"]["template"]
    spec = container(template)
    port = setting_default(service, "http_port")
    assert manifests.config(service)[f"{env_prefix(service)}HTTP_PORT"] == str(port)
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert ports == {"http": port}
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    # Until started, the startup probe stands in for liveness (a slow broker must not kill the pod).
    assert spec["startupProbe"]["httpGet"]["path"] == "/healthz"
    service_ports = manifests.get("Service", service)["spec"]["ports"]
    assert [(p["name"], p["targetPort"]) for p in service_ports] == [("http", "http")]


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_listens_on_the_pod_network_not_only_loopback(
    manifests: Manifests, service: str
) -> None:
    assert setting_default(service, "http_host") == "127.0.0.1", (
        "the default this setting overrides"
    )
    assert manifests.config(service)[f"{env_prefix(service)}HTTP_HOST"] == "0.0.0.0"


def test_termination_grace_period_exceeds_the_runtime_drain(manifests: Manifests) -> None:
    for deployment in manifests.of_kind("Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        pre_stop = container(deployment["spec"]["template"]).get("lifecycle", {}).get("preStop", {})
        delay = int(pre_stop["exec"]["command"][-1]) if pre_stop.get("exec") else 0
        assert spec["terminationGracePeriodSeconds"] > delay + drain_seconds(), deployment[
            "metadata"
        ]["name"]


@pytest.mark.parametrize("service", SERVICES)
def test_configured_variables_are_settings_the_service_reads(
    manifests: Manifests, service: str
) -> None:
    known = settings_variables(service)
    unknown = [key for key in manifests.config(service) if key not in known]
    for workload, template in manifests.workloads():
        if workload["metadata"]["name"] in (service, f"{service}-migrate"):
            unknown += [
                item["name"]
                for item in container(template).get("env") or []
                if item["name"] not in known
            ]
    assert not unknown, f"{service} reads no such setting: {unknown}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_database_url_comes_only_from_the_services_own_secret(
    manifests: Manifests, service: str
) -> None:
    variable = f"{env_prefix(service)}DATABASE_URL"
    assert variable not in manifests.config(
        service
    ) and "HOCTAP_DATABASE_URL" not in manifests.config(service)
    for name in (service, f"{service}-migrate"):
        kind = "Deployment" if name == service else "Job"
        value_from = env_value_from(
            container(manifests.get(kind, name)["spec"]["template"]), variable
        )
        assert value_from == {"secretKeyRef": {"name": f"{service}-database", "key": "uri"}}, name


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_owns_a_database_and_a_login_role_in_the_cluster(
    manifests: Manifests, service: str
) -> None:
    clusters = manifests.of_kind("Cluster")
    assert len(clusters) == 1
    cluster = clusters[0]
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert roles[service]["login"] is True
    assert roles[service]["passwordSecret"]["name"] == f"{service}-database"
    databases = [d for d in manifests.of_kind("Database") if d["spec"]["name"] == service]
    assert len(databases) == 1
    assert databases[0]["spec"]["owner"] == service
    assert databases[0]["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    schema = manifests.config(service).get(f"{env_prefix(service)}DATABASE_SCHEMA", service)
    assert schema == service, "one schema per service, named after it"


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_job_runs_migrate_with_the_image_the_deployment_serves(
    manifests: Manifests, service: str
) -> None:
    deployment = container(manifests.get("Deployment", service)["spec"]["template"])
    job = manifests.get("Job", f"{service}-migrate")["spec"]
    migrate = container(job["template"])
    assert deployment["args"] == ["serve"]
    assert migrate["args"] == ["migrate"]
    assert migrate["image"] == deployment["image"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert job["backoffLimit"] >= 1


def test_images_are_pinned_to_a_release_tag(manifests: Manifests) -> None:
    for _, template in manifests.workloads():
        image = container(template)["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and re.fullmatch(r"\d+\.\d+\.\d+", tag), f"{image}: pin a release tag"


def test_the_agency_directory_in_the_config_map_is_one_the_service_accepts(
    manifests: Manifests, tmp_path: Path
) -> None:
    from services.notifications.adapters.config_files import load_directory

    path_setting = manifests.config("notifications")["NOTIFICATIONS_AGENCIES_FILE"]
    directory, _, filename = path_setting.rpartition("/")
    template = manifests.get("Deployment", "notifications")["spec"]["template"]
    mounts = {m["mountPath"]: m["name"] for m in container(template)["volumeMounts"]}
    volume = next(v for v in template["spec"]["volumes"] if v["name"] == mounts[directory])
    data = manifests.get("ConfigMap", volume["configMap"]["name"])["data"]
    (tmp_path / filename).write_text(data[filename], encoding="utf-8")
    load_directory(tmp_path / filename)  # raises on a malformed directory


@pytest.mark.parametrize("service", ["recognition", "notifications"])
def test_the_reader_tokens_file_is_mounted_where_the_service_reads_it_and_is_one_it_accepts(
    manifests: Manifests, tmp_path: Path, service: str
) -> None:
    from shared.http import load_readers

    path_setting = manifests.config(service)[f"{env_prefix(service)}READERS_FILE"]
    directory, _, filename = path_setting.rpartition("/")
    template = manifests.get("Deployment", service)["spec"]["template"]
    mounts = {m["mountPath"]: m["name"] for m in container(template)["volumeMounts"]}
    volume = next(v for v in template["spec"]["volumes"] if v["name"] == mounts[directory])
    data = manifests.get("ConfigMap", volume["configMap"]["name"])["data"]
    (tmp_path / filename).write_text(data[filename], encoding="utf-8")
    load_readers(tmp_path / filename)  # raises on a malformed file


def test_dev_is_a_dev_environment_and_every_other_overlay_refuses_placeholders(
    manifests: Manifests,
) -> None:
    expected = "dev" if manifests.overlay == "dev" else "prod"
    for service in SERVICES:
        assert manifests.config(service)[f"{env_prefix(service)}ENVIRONMENT"] == expected


def _secret_references(template: dict[str, Any]) -> set[str]:
    names = {
        v["secret"]["secretName"] for v in template["spec"].get("volumes") or [] if "secret" in v
    }
    for spec in template["spec"]["containers"]:
        for item in spec.get("env") or []:
            reference = (item.get("valueFrom") or {}).get("secretKeyRef")
            if reference:
                names.add(reference["name"])
    return names


def test_the_runbook_lists_every_secret_the_workloads_reference(manifests: Manifests) -> None:
    runbook = (REPO / "docs" / "runbook.md").read_text(encoding="utf-8")
    referenced: set[str] = set()
    for _, template in manifests.workloads():
        referenced |= _secret_references(template)
    for cluster in manifests.of_kind("Cluster"):
        referenced |= {r["passwordSecret"]["name"] for r in cluster["spec"]["managed"]["roles"]}
    missing = sorted(name for name in referenced if f"`{name}`" not in runbook)
    assert not missing, f"docs/runbook.md does not say how to create: {missing}"


def test_job_and_deployment_specs_parse_as_plain_yaml_files() -> None:
    """The base files stay one object each, as house style point 32 lays out."""
    for path in (REPO / "deploy" / "k8s" / "base").rglob("*.yaml"):
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        assert len(documents) == 1, path

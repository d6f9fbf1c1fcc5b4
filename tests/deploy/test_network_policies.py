"""Network policies: every hoctap pod is denied by default and opened only where it must talk."""

from __future__ import annotations

from typing import Any

import pytest

from .manifests import Manifests, container, selects

pytestmark = pytest.mark.contract


def policies_for(
    manifests: Manifests, labels: dict[str, str], direction: str
) -> list[dict[str, Any]]:
    return [
        p
        for p in manifests.of_kind("NetworkPolicy")
        if direction in p["spec"].get("policyTypes", [])
        and selects(p["spec"]["podSelector"], labels)
    ]


def allowed_ports(rules: list[dict[str, Any]]) -> set[Any]:
    return {port.get("port") for rule in rules for port in rule.get("ports") or [{"port": "any"}]}


def egress_to(
    manifests: Manifests, labels: dict[str, str], peer_labels: dict[str, str]
) -> set[Any]:
    """Ports the pod may reach on pods carrying `peer_labels` (in its namespace)."""
    ports: set[Any] = set()
    for policy in policies_for(manifests, labels, "Egress"):
        for rule in policy["spec"].get("egress") or []:
            peers = rule.get("to") or []
            if any(
                "podSelector" in p
                and "namespaceSelector" not in p
                and selects(p["podSelector"], peer_labels)
                for p in peers
            ):
                ports |= allowed_ports([rule])
    return ports


def test_every_workload_is_denied_by_default_in_both_directions(manifests: Manifests) -> None:
    for workload, template in manifests.workloads():
        labels = template["metadata"]["labels"]
        for direction in ("Ingress", "Egress"):
            deny_all = [
                p
                for p in policies_for(manifests, labels, direction)
                if not p["spec"].get(direction.lower())
            ]
            assert deny_all, f"{workload['metadata']['name']}: no default-deny {direction} policy"


def test_the_service_port_is_open_to_the_namespace_and_to_prometheus(manifests: Manifests) -> None:
    for deployment in manifests.of_kind("Deployment"):
        template = deployment["spec"]["template"]
        port_names = {p["name"] for p in container(template)["ports"]}
        rules = [
            rule
            for policy in policies_for(manifests, template["metadata"]["labels"], "Ingress")
            for rule in policy["spec"].get("ingress") or []
        ]
        assert allowed_ports(rules) & port_names, deployment["metadata"]["name"]
        sources = [peer for rule in rules for peer in rule.get("from") or []]
        assert any("namespaceSelector" in peer for peer in sources), (
            "Prometheus scrapes from its namespace"
        )


def test_every_workload_may_resolve_names_and_reach_its_database(manifests: Manifests) -> None:
    cluster = manifests.of_kind("Cluster")[0]["metadata"]["name"]
    for workload, template in manifests.workloads():
        labels = template["metadata"]["labels"]
        assert 5432 in egress_to(manifests, labels, {"cnpg.io/cluster": cluster}), workload[
            "metadata"
        ]["name"]
        dns = [
            rule
            for policy in policies_for(manifests, labels, "Egress")
            for rule in policy["spec"].get("egress") or []
            if 53 in allowed_ports([rule])
        ]
        assert dns, f"{workload['metadata']['name']}: no DNS"


def test_services_may_reach_the_kafka_listener_and_migrations_may_not(manifests: Manifests) -> None:
    kafka = manifests.of_kind("Kafka")[0]
    broker = {"strimzi.io/cluster": kafka["metadata"]["name"], "strimzi.io/kind": "Kafka"}
    listener_ports = {listener["port"] for listener in kafka["spec"]["kafka"]["listeners"]}
    for workload, template in manifests.workloads():
        reachable = egress_to(manifests, template["metadata"]["labels"], broker)
        if workload["kind"] == "Deployment":
            assert listener_ports <= reachable, workload["metadata"]["name"]
        else:
            assert not reachable, f"{workload['metadata']['name']} only migrates the database"


def test_only_notifications_may_reach_mail_servers(manifests: Manifests) -> None:
    smtp = {25, 465, 587}
    for workload, template in manifests.workloads():
        open_to_anywhere = set()
        for policy in policies_for(manifests, template["metadata"]["labels"], "Egress"):
            for rule in policy["spec"].get("egress") or []:
                if not rule.get("to"):
                    open_to_anywhere |= allowed_ports([rule])
        assert "any" not in open_to_anywhere, "no egress rule may open every port"
        if workload["kind"] == "Deployment" and workload["metadata"]["name"] == "notifications":
            assert smtp <= open_to_anywhere
        else:
            assert not open_to_anywhere & smtp, workload["metadata"]["name"]


def test_postgres_accepts_only_its_peers_the_operator_prometheus_and_hoctap_workloads(
    manifests: Manifests,
) -> None:
    cluster = manifests.of_kind("Cluster")[0]["metadata"]["name"]
    ingress = policies_for(manifests, {"cnpg.io/cluster": cluster}, "Ingress")
    assert ingress, "CloudNativePG creates no policy of its own"
    client_rules = [
        rule
        for policy in ingress
        for rule in policy["spec"]["ingress"]
        if any(
            "podSelector" in peer
            and "namespaceSelector" not in peer
            and not selects(peer["podSelector"], {"cnpg.io/cluster": cluster})
            for peer in rule.get("from") or []
        )
    ]
    assert client_rules and allowed_ports(client_rules) == {5432}
    for _, template in manifests.workloads():
        assert any(
            selects(peer["podSelector"], template["metadata"]["labels"])
            for rule in client_rules
            for peer in rule["from"]
        )

"""Replicas, autoscalers and disruption budgets respect what Kafka and PostgreSQL can give them:
partitions per consumer group, and connections per cluster."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import create_engine
from shared.events.catalogue import SERVICES

from .manifests import Manifests, consumed_by, env_prefix, selects, setting_default, settings_class

pytestmark = pytest.mark.contract

# CloudNativePG's own sessions (instance manager, replication, monitoring) and an operator's psql.
POSTGRES_RESERVE = 10


def autoscaler_for(manifests: Manifests, service: str) -> dict[str, Any] | None:
    for hpa in manifests.of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if target["kind"] == "Deployment" and target["name"] == service:
            return hpa
    return None


def most_replicas(manifests: Manifests, service: str) -> int:
    hpa = autoscaler_for(manifests, service)
    if hpa is not None:
        return int(hpa["spec"]["maxReplicas"])
    return int(manifests.get("Deployment", service)["spec"].get("replicas", 1))


def connections_per_pod(manifests: Manifests, service: str) -> int:
    """The engine's pool and overflow (as shared/db.py builds it) and the outbox LISTEN."""
    pool_size = manifests.config(service).get(f"{env_prefix(service)}DATABASE_POOL_SIZE")
    settings = settings_class(service)(
        database_url="postgresql://capacity@localhost/check",
        database_pool_size=int(pool_size)
        if pool_size
        else setting_default(service, "database_pool_size"),
    )
    pool = create_engine(settings).sync_engine.pool
    return pool.size() + pool._max_overflow + 1  # type: ignore[attr-defined]


def test_every_autoscaler_targets_a_service_deployment(manifests: Manifests) -> None:
    for hpa in manifests.of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in SERVICES
        manifests.get("Deployment", target["name"])


@pytest.mark.parametrize("service", SERVICES)
def test_replicas_never_exceed_the_partitions_of_the_topics_the_service_consumes(
    manifests: Manifests, service: str
) -> None:
    partitions = [t.partitions for t in consumed_by(service)]
    assert partitions, f"{service} consumes nothing?"
    # One consumer group per service: a replica past the largest partition count gets no partition
    # of any topic, and a baseline past the smallest leaves that topic's extra members idle.
    assert most_replicas(manifests, service) <= max(partitions)
    hpa = autoscaler_for(manifests, service)
    if hpa is not None:
        assert 1 <= hpa["spec"]["minReplicas"] <= min(partitions)
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


@pytest.mark.parametrize("service", SERVICES)
def test_an_autoscaled_deployment_leaves_its_replica_count_to_the_autoscaler(
    manifests: Manifests, service: str
) -> None:
    if autoscaler_for(manifests, service) is not None:
        assert "replicas" not in manifests.get("Deployment", service)["spec"], (
            "a fixed replica count would reset the autoscaler at every apply"
        )


def test_every_disruption_budget_covers_one_service_and_lets_a_node_drain(
    manifests: Manifests,
) -> None:
    for pdb in manifests.of_kind("PodDisruptionBudget"):
        covered = [
            d
            for d in manifests.of_kind("Deployment")
            if selects(pdb["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(covered) == 1, pdb["metadata"]["name"]
        assert "maxUnavailable" in pdb["spec"] and pdb["spec"]["maxUnavailable"] >= 1


def test_every_service_is_either_autoscaled_from_two_replicas_with_a_budget_or_pinned(
    manifests: Manifests,
) -> None:
    budgets = {p["metadata"]["name"] for p in manifests.of_kind("PodDisruptionBudget")}
    for service in SERVICES:
        hpa = autoscaler_for(manifests, service)
        if hpa is None:
            # dev: one fixed replica, and no budget (it would block every node drain)
            assert manifests.get("Deployment", service)["spec"]["replicas"] >= 1, service
            assert service not in budgets, service
        else:
            assert hpa["spec"]["minReplicas"] >= 2, service
            assert service in budgets, service


def test_the_database_connections_of_every_replica_fit_the_cluster(manifests: Manifests) -> None:
    cluster = manifests.of_kind("Cluster")[0]
    limit = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    needed = POSTGRES_RESERVE
    for service in SERVICES:
        needed += most_replicas(manifests, service) * connections_per_pod(manifests, service)
        needed += 1  # its migrations Job
    assert needed <= limit, (
        f"{manifests.overlay}: up to {needed} connections, max_connections is {limit}"
    )

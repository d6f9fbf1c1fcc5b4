"""A throwaway PostgreSQL leaves nothing on disk, even when its data had to live elsewhere."""

import os
import tempfile
from pathlib import Path

from shared.devstack.postgres import PostgresServer


def test_a_discarded_server_takes_its_data_with_it_wherever_it_lived(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("HOCTAP_KEEP_WORKDIRS", raising=False)
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-test-pg-"))  # 0700: root's server user cannot enter it
    try:
        server = PostgresServer(workdir / "postgres", durable=False).start()
        assert (server.data_dir / "PG_VERSION").exists()
        if os.geteuid() == 0:
            assert server.relocated and not server.data_dir.is_relative_to(workdir)
            assert PostgresServer(workdir / "postgres").data_dir == server.data_dir, "the same place for the same path"
        server.discard()
        assert not server.data_dir.exists() and not server.log.exists()
        if server.relocated:
            assert not server.data_dir.parent.exists()
    finally:
        os.rmdir(workdir)


def test_a_kept_server_keeps_its_data_for_a_post_mortem(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOCTAP_KEEP_WORKDIRS", "1")
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-test-pg-"))
    server = PostgresServer(workdir / "postgres", durable=False).start()
    try:
        server.discard()
        assert (server.data_dir / "PG_VERSION").exists()
        assert not (server.data_dir / "postmaster.pid").exists(), "stopped all the same"
    finally:
        monkeypatch.delenv("HOCTAP_KEEP_WORKDIRS")
        server.discard()
        os.rmdir(workdir)

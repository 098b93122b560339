"""The tests' own PostgreSQL starts even when the port it found free is taken first."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator

import pgserver
import psycopg
import pytest


def test_a_port_taken_before_postgresql_binds_it_is_traded_for_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports: Iterator[int] = iter([busy])
        real = pgserver._free_port
        monkeypatch.setattr(pgserver, "_free_port", lambda: next(ports, None) or real())
        try:
            server = pgserver.start_server()
        except pgserver.PgUnavailable as exc:
            pytest.skip(str(exc))
    try:
        assert server.port != busy
        with psycopg.connect(server.url(), autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
        shutil.rmtree(server.data, ignore_errors=True)

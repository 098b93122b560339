"""A real PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder.

PostgreSQL refuses to run as root, so when the tests run as root (CI containers) the
server runs as the `postgres` user the Debian package creates (or `nobody`). Each test
gets its own database; the server is shared by the session (one per xdist worker).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def find_bin_dir() -> Path | None:
    """pg_ctl on PATH, else the newest Debian install under /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    bin_dir: Path
    data: Path
    port: int
    user: str | None  # run as this user (we are root), or None: as ourselves
    databases: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.data / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop("immediate")
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"test_{next(self.databases)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


class PgUnavailable(Exception):
    """PostgreSQL cannot be run here (not installed, no user to run it as)."""


def start_server() -> PgServer:
    """A fresh server on a free port (benchmarks use it too), or PgUnavailable saying why."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PgUnavailable("PostgreSQL is not installed (scripts/setup.sh installs it)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PgUnavailable("psycopg is not installed (pip install -e .)") from None
    user = None
    if os.geteuid() == 0:
        for candidate in ("postgres", "nobody"):
            try:
                pwd.getpwnam(candidate)
            except KeyError:
                continue
            user = candidate
            break
        if user is None:
            raise PgUnavailable("running as root and no unprivileged user to run PostgreSQL as")
    data = Path(tempfile.mkdtemp(prefix="syndicate-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    server = PgServer(bin_dir, data, _free_port(), user)
    try:
        server.init()
        _start_on_a_free_port(server)
    except subprocess.CalledProcessError as exc:
        log = data / "log"
        detail = log.read_text() if log.exists() else exc.stderr
        shutil.rmtree(data, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail[-2000:]}") from None
    return server


def _start_on_a_free_port(server: PgServer, attempts: int = 5) -> None:
    """Start, on another free port if the one found free was taken before PostgreSQL
    bound it (another test's server or HTTP partner got there first)."""
    log = server.data / "log"
    for attempt in range(attempts):
        seen = log.stat().st_size if log.exists() else 0
        try:
            server.start()
            return
        except subprocess.CalledProcessError:
            new = log.read_bytes()[seen:] if log.exists() else b""
            if b"Address already in use" not in new or attempt == attempts - 1:
                raise
            server.port = _free_port()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = start_server()
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(server.data, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A new, empty database on the session's server."""
    return pg_server.new_database()

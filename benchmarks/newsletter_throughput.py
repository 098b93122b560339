"""Newsletter throughput: messages per second from `syndicate newsletter send` to an SMTP sink.

Builds a one-article site in a temporary folder, loads N subscribers, starts aiosmtpd's
Sink (accepts and discards) on 127.0.0.1, then times whole `newsletter send` runs: SQLite
with one sender, then one PostgreSQL (started here, as the tests do) with 1 and 4 sender
processes sharing the issue. Every subscriber must end up with exactly one `sent` row.

    python benchmarks/newsletter_throughput.py [--subscribers 10000] [--senders 1,4]
        [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

SECRET = "bench-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlite_path(root: Path) -> Path:
    return root / ".syndicate" / "state" / "newsletter" / "mailing.sqlite3"


def make_site(root: Path, smtp_port: int, state_url: str | None) -> Path:
    article = root / "content" / "news" / "story.md"
    article.parent.mkdir(parents=True)
    article.write_text(
        "---\ntitle: Harbour reopens\npublished: 2024-02-20T09:30:00+08:00\n---\nBody.\n",
        encoding="utf-8",
    )
    config: dict[str, Any] = {
        "site": {"title": "Bench", "base_url": "https://news.example.com/", "language": "en"},
        "channels": {
            "newsletter": {
                "secret": "${BENCH_NEWSLETTER_SECRET}",
                "lists": [{"id": "daily", "title": "Daily", "from": "news@example.com"}],
                "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
                "unsubscribe": {"url": "https://news.example.com/unsubscribe"},
            }
        },
    }
    if state_url:
        config["state_url"] = state_url
    path = root / "syndicate.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def load_subscribers(root: Path, state_url: str | None, count: int) -> None:
    """Bulk rows straight into the store's table (the import command is not what we time)."""
    stamp = "2024-01-01T00:00:00+00:00"
    rows = [
        ("daily", f"r{n}@example.com", f"r{n}@example.com", "", stamp, stamp) for n in range(count)
    ]
    insert = (
        "INSERT INTO subscribers (list_id, email, email_key, name, created, updated) "
        "VALUES ({0}, {0}, {0}, {0}, {0}, {0})"
    )
    if state_url is None:
        from syndicate.delivery.mailing import SqliteMailingStore

        store = SqliteMailingStore(sqlite_path(root))
        with store.conn:
            store.conn.execute("BEGIN")
            store.conn.executemany(insert.format("?"), rows)
            store.conn.execute("COMMIT")
        store.close()
        return
    from syndicate.delivery.pg_mailing import PgMailingStore

    pg = PgMailingStore(state_url)
    pg.session.run(lambda conn: conn.cursor().executemany(insert.format("%s").encode(), rows))
    pg.close()


def send(config: Path, senders: int) -> tuple[float, list[str]]:
    command = [sys.executable, "-c", "from syndicate.cli import main; main()"]
    args = ["--config", str(config), "newsletter", "send", "--list", "daily"]
    started = time.perf_counter()
    procs = [
        subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(senders)
    ]
    outputs = []
    for proc in procs:
        out, errors = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"sender failed: {errors.decode()}")
        outputs.append(out.decode().strip())
    return time.perf_counter() - started, outputs


def sent_count(root: Path, state_url: str | None) -> int:
    if state_url is None:
        from syndicate.delivery.mailing import SqliteMailingStore

        store: Any = SqliteMailingStore(sqlite_path(root))
    else:
        from syndicate.delivery.pg_mailing import PgMailingStore

        store = PgMailingStore(state_url)
    try:
        issue = store.open_issue("daily")
        assert issue is None, "the issue should be sent"
        return int(store.counts(1).get("sent", 0))
    finally:
        store.close()


def run(count: int, senders: int, state_url: str | None, smtp_port: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = make_site(root, smtp_port, state_url)
        load_subscribers(root, state_url, count)
        elapsed, _ = send(config, senders)
        sent = sent_count(root, state_url)
        assert sent == count, f"{sent} of {count} sent"
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--senders", default="1,4", help="PostgreSQL sender process counts")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    os.environ["BENCH_NEWSLETTER_SECRET"] = SECRET
    port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ]
    )
    server = None
    rows: list[tuple[str, int, float]] = []
    try:
        for _ in range(100):  # wait for the sink to listen
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        rows.append(("SQLite", 1, run(args.subscribers, 1, None, port)))
        if not args.no_postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from pgserver import start_server

            server = start_server()
            for senders in (int(n) for n in args.senders.split(",")):
                rows.append(
                    (
                        "PostgreSQL",
                        senders,
                        run(args.subscribers, senders, server.new_database(), port),
                    )
                )
    finally:
        sink.terminate()
        sink.wait()
        if server is not None:
            server.stop("immediate")
            shutil.rmtree(server.data, ignore_errors=True)
    first = rows[0][2]
    print(f"{args.subscribers:,} subscribers, one digest each, to a local SMTP sink")
    print(f"{'store':<11} {'senders':>7} {'messages/s':>11} {'vs SQLite':>9}")
    for store, senders, rate in rows:
        print(f"{store:<11} {senders:>7} {rate:>11,.0f} {rate / first:>8.2f}x")


if __name__ == "__main__":
    main()

"""Partner push throughput: signed deliveries per second to a local always-2xx receiver.

Starts a minimal keep-alive HTTP/1.1 receiver (asyncio + h11) in a subprocess, enqueues
N ninjs-sized deliveries, runs the real deliverer (httpcore connections, signing,
outcomes recorded in batches) and prints deliveries per second: SQLite with one worker,
then one PostgreSQL (started here with initdb + pg_ctl, as the tests do) with 1, 2 and 4
worker processes sharing the queue, side by side. CPU per delivery is given for the
workers (all their threads) and for the receiver, which shares the machine's cores with
them: wall rates swing with whatever else runs, CPU per delivery stays put. Last, bare
`httpx.AsyncClient` POSTs of the same size, for reference.

    python benchmarks/push_throughput.py [--deliveries 5000] [--concurrency 8]
        [--workers 1,2,4] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RECEIVER = r"""
import asyncio, sys
import h11

count = 0

async def handle(reader, writer):
    global count
    conn = h11.Connection(h11.SERVER)
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            if not data:
                break
            continue
        if isinstance(event, h11.EndOfMessage):
            count += 1
            out = conn.send(h11.Response(status_code=204, headers=[("content-length", "0")]))
            out += conn.send(h11.EndOfMessage())
            writer.write(out)
            await writer.drain()
            if conn.our_state is h11.MUST_CLOSE:
                break
            conn.start_next_cycle()
        elif isinstance(event, h11.ConnectionClosed):
            break
    writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def open_store(ref: str) -> Any:
    """A SQLite path or a postgresql:// URL, as `state_url` would choose."""
    if ref.startswith("postgresql://"):
        from syndicate.delivery.pg_outbox import PgOutbox

        return PgOutbox(ref)
    from syndicate.delivery.outbox import SqliteOutbox

    return SqliteOutbox(Path(ref))


def enqueue(ref: str, n: int, partner: str) -> float:
    from syndicate.delivery.outbox import NewDelivery

    body = b'{"uri":"tag:x","bodies":[{"value":"' + b"x" * 3000 + b'"}]}'
    items = [
        NewDelivery(
            partner=partner,
            uid=f"tag:news.example.com,2024-01-01:article/{i}",
            version=1,
            content_hash=str(i),
            pubstatus="usable",
            meta="{}",
            webhook_id=f"msg_{i}",
            content_type="application/json",
            body=body,
        )
        for i in range(n)
    ]
    started = time.perf_counter()
    outbox = open_store(ref)
    try:
        outbox.enqueue(items, now=time.time())
    finally:
        outbox.close()
    return time.perf_counter() - started


def receiver_cpu(pid: int) -> float:
    """CPU seconds the receiver process has used (Linux /proc; 0 elsewhere): on a small
    machine the receiver shares the cores with the workers, so it bounds their sum."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """CPU time of this process, all threads: what a delivery costs, however busy the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def deliver(ref: str, url: str, concurrency: int) -> tuple[int, float, float, float]:
    """One worker draining the queue: delivered, first claim and last outcome (wall times),
    and the CPU seconds the worker used."""
    from syndicate_channels.push.deliverer import Deliverer
    from syndicate_channels.push.settings import PushSettings

    settings = PushSettings.model_validate(
        {
            "concurrency": concurrency,
            "poll_interval": 0.05,
            "partners": [
                {
                    "name": "bench",
                    "url": url,
                    "auth": {"secret": "${BENCH_PUSH_SECRET}"},
                    "concurrency": concurrency,
                    "allow_private_network": True,  # the receiver is on 127.0.0.1
                }
            ],
        }
    )
    outbox = open_store(ref)
    try:
        report_calls: list[float] = []
        real_report = outbox.report_many

        def timed_report(*args: Any, **kwargs: Any) -> list[bool]:
            landed = list(real_report(*args, **kwargs))
            report_calls.append(time.time())  # when the last outcome was recorded
            return landed

        outbox.report_many = timed_report
        deliverer = Deliverer(settings, outbox)
        started, cpu = time.time(), cpu_seconds()
        report = asyncio.run(deliverer.run("drain"))
        last = report_calls[-1] if report_calls else time.time()
        return report.delivered, started, last, cpu_seconds() - cpu
    finally:
        outbox.close()


def workers(ref: str, url: str, concurrency: int, count: int) -> tuple[int, float, float]:
    """`count` worker processes on one store: total delivered, wall seconds first to last,
    and their CPU seconds added up."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import push_throughput as b; "
        "print(json.dumps(b.deliver(sys.argv[2], sys.argv[3], int(sys.argv[4]))))"
    )
    here = str(Path(__file__).resolve().parent)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, here, ref, url, str(concurrency)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = [json.loads(p.communicate()[0]) for p in procs]
    delivered = sum(r[0] for r in results)
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    return delivered, wall, sum(r[3] for r in results)


def baseline(url: str, n: int, concurrency: int) -> tuple[float, float]:
    """Bare httpx POSTs of the same size, the ceiling this machine allows right now:
    (wall seconds, CPU seconds)."""
    import httpx

    async def run() -> float:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(limits=limits) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate:
                    await client.post(url, content=b"x" * 3050)

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return time.perf_counter() - started

    cpu = cpu_seconds()
    wall = asyncio.run(run())
    return wall, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight/worker")
    parser.add_argument("--workers", default="1,2,4", help="PostgreSQL worker counts")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    os.environ["BENCH_PUSH_SECRET"] = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    # store, workers, /s, enqueue, worker CPU, receiver CPU (seconds per delivery)
    rows: list[tuple[str, int, float, float, float, float]] = []
    server = None
    try:
        assert receiver.stdout is not None
        url = f"http://127.0.0.1:{int(receiver.stdout.readline())}/hook"
        with tempfile.TemporaryDirectory() as tmp:
            ref = str(Path(tmp) / "outbox.sqlite3")
            enqueued = enqueue(ref, args.deliveries, "bench")
            served = receiver_cpu(receiver.pid)
            delivered, elapsed, cpu = workers(ref, url, args.concurrency, 1)
            served = receiver_cpu(receiver.pid) - served
            rate = delivered / elapsed
            rows.append(("SQLite", 1, rate, enqueued, cpu / delivered, served / delivered))
        if not args.no_postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from pgserver import start_server

            server = start_server()
            for count in (int(c) for c in args.workers.split(",")):
                ref = server.new_database()
                enqueued = enqueue(ref, args.deliveries, "bench")
                served = receiver_cpu(receiver.pid)
                delivered, elapsed, cpu = workers(ref, url, args.concurrency, count)
                served = receiver_cpu(receiver.pid) - served
                assert delivered == args.deliveries, f"{delivered} of {args.deliveries}"
                rate = delivered / elapsed
                rows.append(
                    ("PostgreSQL", count, rate, enqueued, cpu / delivered, served / delivered)
                )
        served = receiver_cpu(receiver.pid)
        bare, bare_cpu = baseline(url, args.deliveries, args.concurrency)
        bare_served = receiver_cpu(receiver.pid) - served
    finally:
        receiver.terminate()
        receiver.wait()
        if server is not None:
            server.stop("immediate")
            shutil.rmtree(server.data, ignore_errors=True)
    first = rows[0][2]
    bare_rate = args.deliveries / bare
    print(f"{args.deliveries} signed ~3 KB deliveries, concurrency {args.concurrency} per worker")
    print(
        f"{'store':<11} {'workers':>7} {'deliveries/s':>13} {'vs SQLite':>9} {'vs bare':>8} "
        f"{'CPU ms/delivery':>15} {'receiver ms':>11} {'enqueue s':>9}"
    )
    for store, count, rate, enqueued, cpu, served in rows:
        print(
            f"{store:<11} {count:>7} {rate:>13,.0f} {rate / first:>8.2f}x "
            f"{rate / bare_rate:>7.2f}x {cpu * 1000:>15.2f} {served * 1000:>11.2f} "
            f"{enqueued:>9.2f}"
        )
    print(
        f"bare httpx POSTs, one process, same size: {bare_rate:,.0f}/s, "
        f"{bare_cpu * 1000 / args.deliveries:.2f} ms CPU each "
        f"(receiver {bare_served * 1000 / args.deliveries:.2f} ms each)"
    )
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()

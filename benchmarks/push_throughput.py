"""Partner push throughput: signed deliveries per second to a local receiver.

Starts a minimal keep-alive HTTP/1.1 receiver (asyncio + h11) in a subprocess, enqueues
N ninjs-sized deliveries into a fresh SQLite outbox, runs the real deliverer (httpx,
signing, one transaction per outcome) and prints deliveries per second.

    python benchmarks/push_throughput.py [--deliveries 5000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def enqueue(store: Path, n: int, partner: str) -> float:
    from syndicate.delivery.outbox import NewDelivery, SqliteOutbox

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
    with SqliteOutbox(store) as outbox:
        outbox.enqueue(items, now=time.time())
    return time.perf_counter() - started


def deliver(store: Path, url: str, concurrency: int) -> tuple[int, float]:
    from syndicate_channels.push.deliverer import Deliverer
    from syndicate_channels.push.settings import PushSettings

    from syndicate.delivery.outbox import SqliteOutbox

    settings = PushSettings.model_validate(
        {
            "concurrency": concurrency,
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
    with SqliteOutbox(store) as outbox:
        deliverer = Deliverer(settings, outbox)
        started = time.perf_counter()
        report = asyncio.run(deliverer.run("once"))
        return report.delivered, time.perf_counter() - started


def baseline(url: str, n: int, concurrency: int) -> float:
    """Bare httpx POSTs of the same size: the ceiling this machine allows right now."""
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

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ["BENCH_PUSH_SECRET"] = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "outbox.sqlite3"
            enqueue_s = enqueue(store, args.deliveries, "bench")
            url = f"http://127.0.0.1:{port}/hook"
            delivered, elapsed = deliver(store, url, args.concurrency)
            bare = baseline(url, args.deliveries, args.concurrency)
    finally:
        receiver.terminate()
        receiver.wait()
    assert delivered == args.deliveries, f"only {delivered} of {args.deliveries} delivered"
    print(f"enqueue: {args.deliveries} deliveries in {enqueue_s:.2f}s")
    print(
        f"deliver: {delivered} signed deliveries in {elapsed:.2f}s = "
        f"{delivered / elapsed:,.0f} deliveries/s (concurrency {args.concurrency})"
    )
    print(f"bare httpx POSTs, same size and concurrency: {args.deliveries / bare:,.0f}/s")


if __name__ == "__main__":
    main()

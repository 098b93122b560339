"""A partner's connections (channels/push/transport.py) keep what httpx's client gave us.

TLS is verified (a private CA only with `ca_bundle`), keep-alive connections are reused
but never once the server closed them, only the first few KB of an answer are read,
and a worker sends signed requests over them end to end. Real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpcore
import pytest
from syndicate_channels.push.deliverer import USER_AGENT, Deliverer, ssl_context
from syndicate_channels.push.settings import PushSettings, Timeouts
from syndicate_channels.push.transport import MAX_BODY, Endpoint

from syndicate.delivery.outbox import NewDelivery, SqliteOutbox

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """An asyncio HTTP/1.1 server whose behaviour after each request is the test's."""

    def __init__(self, after: Handler | None = None, answer: bytes | None = None) -> None:
        self.after = after
        self.answer = (
            answer if answer is not None else b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        )
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                self.requests.append((head, await reader.readexactly(length)))
                writer.write(self.answer)
                await writer.drain()
                if self.after is not None:
                    await self.after(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def serve(server: Server, context: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=context)


def endpoint(port: int, *, scheme: str = "http", verify: ssl.SSLContext | None = None) -> Endpoint:
    return Endpoint(
        f"{scheme}://127.0.0.1:{port}/hook?k=1",
        ssl_context=verify or ssl_context(None),
        guarded=False,
        timeout=Timeouts(connect=2, read=2),
        user_agent=USER_AGENT,
    )


def _fields(head: bytes) -> dict[str, str]:
    lines = head.decode().split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}


def headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", b"%d" % len(body))]


def test_keep_alive_reused_and_headers_as_httpx_sent_them() -> None:
    async def run() -> Server:
        server = Server()
        async with await serve(server) as listening:
            target = endpoint(listening.sockets[0].getsockname()[1])
            for n in range(3):
                body = b'{"n": %d}' % n
                answer = await target.post(target.static + headers(body), body)
                assert (answer.status, answer.body) == (200, b"ok")
            await target.aclose()
        return server

    server = asyncio.run(run())
    assert server.connections == 1
    head, body = server.requests[-1]
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hook?k=1 HTTP/1.1"
    fields = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    assert fields["host"] == f"127.0.0.1:{fields['host'].split(':')[1]}"
    assert fields["user-agent"] == USER_AGENT
    assert body == b'{"n": 2}'


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async def close_soon(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()  # keep-alive promised, then the server hangs up while we are idle

    async def run() -> Server:
        server = Server(after=close_soon)
        async with await serve(server) as listening:
            target = endpoint(listening.sockets[0].getsockname()[1])
            for _ in range(3):
                answer = await target.post(target.static + headers(b"{}"), b"{}")
                assert answer.status == 200
                await asyncio.sleep(0.05)  # the server's FIN arrives
            await target.aclose()
        return server

    server = asyncio.run(run())
    assert (server.connections, len(server.requests)) == (3, 3)  # no request was lost to it


def test_only_the_first_kilobytes_of_an_answer_are_read() -> None:
    """A partner that announces 100 MB and sends 64 KB: we stop at MAX_BODY rather than
    wait for the rest, and that connection (mid-answer) is closed, not reused."""
    big = b"HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n" + b"x" * 65536

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async def run() -> Server:
        server = Server(after=stall, answer=big)
        async with await serve(server) as listening:
            target = endpoint(listening.sockets[0].getsockname()[1])
            for _ in range(2):
                answer = await target.post(target.static + headers(b"{}"), b"{}")
                assert answer.status == 200
                assert MAX_BODY <= len(answer.body) <= 65536
            await target.aclose()
            listening.close()
        return server

    server = asyncio.run(run())
    assert server.connections == 2


def test_a_timeout_is_httpcores_and_the_connection_is_dropped() -> None:
    async def run() -> Server:
        server = Server(answer=b"")  # reads the request, never answers
        async with await serve(server) as listening:
            target = Endpoint(
                f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/",
                ssl_context=ssl_context(None),
                guarded=False,
                timeout=Timeouts(connect=1, read=0.2),
                user_agent=USER_AGENT,
            )
            with pytest.raises(httpcore.ReadTimeout):
                await target.post(target.static + headers(b"{}"), b"{}")
            assert target._idle == []
            await target.aclose()
            listening.close()
        return server

    asyncio.run(run())


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    trustme = pytest.importorskip("trustme")  # dev dependency: a throwaway CA
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server_context, ca_file


def _deliver(
    tmp_path: Path, url: str, ca_bundle: Path | None, secret_env: str
) -> tuple[Deliverer, list[str]]:
    """One signed delivery through a whole worker; what it reported."""
    outbox = SqliteOutbox(tmp_path / f"outbox-{time.monotonic_ns()}.sqlite3")
    body = json.dumps({"uri": "tag:x"}).encode()
    item = NewDelivery("wire", "story", 1, "h", "usable", "{}", "msg_tls", "application/json", body)
    outbox.enqueue([item], now=time.time())
    settings = PushSettings.model_validate(
        {
            "partners": [
                {
                    "name": "wire",
                    "url": url,
                    "auth": {"secret": "${" + secret_env + "}"},
                    "timeout": {"connect": 2, "read": 2},
                    "allow_private_network": True,
                }
            ]
        }
    )
    events: list[str] = []
    deliverer = Deliverer(settings, outbox, ca_bundle=ca_bundle, on_event=events.append)
    try:
        asyncio.run(deliverer.run("once"))
        return deliverer, events
    finally:
        outbox.close()


def test_tls_is_verified_and_a_private_ca_is_trusted_only_when_given(
    tls: tuple[ssl.SSLContext, Path], tmp_path: Path, push: Any
) -> None:
    server_context, ca_file = tls
    server = Server()
    loop = asyncio.new_event_loop()
    listening = loop.run_until_complete(serve(server, server_context))
    port = listening.sockets[0].getsockname()[1]

    import threading

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        url = f"https://localhost:{port}/hook"
        refused, events = _deliver(tmp_path, url, None, push.secret_env)
        assert (refused.report.delivered, refused.report.retried) == (0, 1)
        assert "CERTIFICATE_VERIFY_FAILED" in events[0]
        assert server.requests == []  # nothing sent to an unverified server
        trusted, _ = _deliver(tmp_path, url, ca_file, push.secret_env)
        assert trusted.report.delivered == 1
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        listening.close()
        loop.close()
    [(head, body)] = server.requests
    fields = _fields(head)
    signed = f"{fields['webhook-id']}.{fields['webhook-timestamp']}.".encode() + body
    expected = hmac.new(push.raw_key, signed, hashlib.sha256).digest()
    assert fields["webhook-signature"] == "v1," + base64.b64encode(expected).decode()


def test_a_large_body_arrives_whole_and_a_closed_port_is_a_connect_error() -> None:
    """Past the held-writes threshold and the transport's high-water mark, the body is
    sent with flow control (2 MB, one request); nobody listening is httpcore's
    ConnectError, which the worker retries."""
    body = bytes(range(256)) * 8192

    async def run() -> Server:
        server = Server()
        async with await serve(server) as listening:
            port = listening.sockets[0].getsockname()[1]
            target = endpoint(port)
            answer = await target.post(target.static + headers(body), body)
            assert answer.status == 200
            await target.aclose()
        with pytest.raises(httpcore.ConnectError):
            await endpoint(port).post(headers(b"{}"), b"{}")  # the server is gone
        return server

    server = asyncio.run(run())
    [(_, received)] = server.requests
    assert received == body


def test_a_port_out_of_range_is_a_broken_partner_not_another_port() -> None:
    """getaddrinfo would wrap 99999 to 34463 and connect there; the partner is reported
    broken instead (check, push status), its deliveries wait."""
    from syndicate_channels.push.settings import Partner

    from syndicate.errors import ConfigError

    partner = Partner.model_validate(
        {"name": "wire", "url": "http://localhost:99999/hook", "auth": {"secret": "${X}"}}
    )
    with pytest.raises(ConfigError, match="Port out of range"):
        partner.endpoint_url()

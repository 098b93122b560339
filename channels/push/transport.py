"""One partner's HTTP connections: httpcore's own HTTP/1.1 connections, one per request
in flight, without a pool in front of them.

`httpx.AsyncClient` costs ~0.85 ms of CPU per small POST here (benchmarks/push_throughput.py,
"bare httpx"): its request and response models, then httpcore's pool, which on every
request takes a lock and scans every pooled connection (a readability poll each). A
worker already bounds its requests per partner with a semaphore, so it needs no pool:
each request takes an idle keep-alive connection from a stack, or opens one, and gives
it back once the answer is read. The same request through httpcore's
`AsyncHTTPConnection` costs ~0.25 ms. What httpx did for us is kept here:

- TLS verified with the worker's SSL context (SNI and host name check by httpcore);
- the address guard (`GuardedBackend`) where the socket is opened, unless the partner
  has `allow_private_network`;
- connect / read / write timeouts per request (the wait for a connection is the
  worker's semaphores, bounded by the lease check, as before);
- redirects never followed, answer headers bounded by h11 (100 KB), at most
  `MAX_BODY` bytes of an answer read;
- an idle connection the server closed, or idle past `KEEPALIVE` seconds, is not used
  again (httpcore's own `has_expired` check, on the one connection taken).

Under httpcore, the network stream is ours too (`AsyncioStream`, on an asyncio protocol):
httpx's default goes through anyio, whose cancel scope per read and write, checkpoints
and attribute lookups cost ~0.08 ms per request here. And httpcore writes a request's
head and its body separately: two sends, each a syscall and, on loopback, the receiver's
TCP work charged to us; the stream holds writes until httpcore's next read, so one send
carries both.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import select
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from syndicate.netguard import GuardedBackend

from .settings import Timeouts

KEEPALIVE = 5.0  # seconds an idle connection is kept (httpx's default keepalive_expiry)
MAX_BODY = 4096  # bytes of an answer read; the rest is never waited for
FLUSH_AT = 64 * 1024  # bytes of held writes sent at once, without waiting for the read
READ_LIMIT = 256 * 1024  # bytes received ahead of httpcore's reads before we stop reading

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Headers
    body: bytes  # at most MAX_BODY bytes (a little more if one read brought more)

    def header(self, name: bytes) -> str | None:
        """The first value of `name` (lower case), as text."""
        for key, value in self.headers:
            if key.lower() == name:
                return value.decode("latin-1")
        return None


class _Protocol(asyncio.Protocol):
    """Received bytes, end of stream and write flow control for one connection."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.transport: asyncio.Transport | None = None
        self.reading: asyncio.Future[None] | None = None
        self.draining: asyncio.Future[None] | None = None
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_LIMIT and self.transport is not None:
            self.transport.pause_reading()  # a flood waits in the kernel, not in memory
        self._wake(self.reading)

    def eof_received(self) -> bool:
        self.eof = True
        self._wake(self.reading)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake(self.reading)
        self._wake(self.draining)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake(self.draining)

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _expire(waiter: asyncio.Future[None], error: type[Exception]) -> None:
    if not waiter.done():
        waiter.set_exception(error(f"timed out ({error.__name__})"))


async def _wait(
    waiter: asyncio.Future[None], timeout: float | None, error: type[Exception]
) -> None:
    """Await `waiter`; `error` is raised if it takes longer than `timeout` seconds."""
    timer = None
    if timeout is not None:
        timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter, error)
    try:
        await waiter
    finally:
        if timer is not None:
            timer.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    """httpcore's network stream on an asyncio transport and protocol, without anyio.

    Writes are held until the next read (or FLUSH_AT bytes), so a request's head and
    body leave in one send. Timeouts and errors are httpcore's, as its anyio stream
    raises them: ReadTimeout/WriteTimeout, ReadError/WriteError.
    """

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._held: list[bytes] = []
        self._held_size = 0
        self._write_timeout: float | None = None
        self._poll: Any = None  # select.poll() for the socket, made on first use

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            # As httpcore does on a failed write: read what the server may have answered.
            with contextlib.suppress(httpcore.WriteError):
                await self._flush()
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            protocol.reading = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.reading, timeout, httpcore.ReadTimeout)
            finally:
                protocol.reading = None
        buffer = protocol.buffer
        if buffer:
            data = bytes(buffer[:max_bytes])
            del buffer[:max_bytes]
            if len(buffer) <= READ_LIMIT and not self._transport.is_closing():
                self._transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._held_size += len(buffer)
        self._write_timeout = timeout
        if self._held_size >= FLUSH_AT:
            await self._flush()

    async def _flush(self) -> None:
        data = b"".join(self._held)
        self._held, self._held_size = [], 0
        protocol = self._protocol
        if self._transport.is_closing() or protocol.error is not None:
            raise httpcore.WriteError(str(protocol.error or "connection closed"))
        self._transport.write(data)
        if protocol.paused:  # more than the transport's high-water mark waits unsent
            protocol.draining = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.draining, self._write_timeout, httpcore.WriteTimeout)
            finally:
                protocol.draining = None
            if protocol.error is not None:
                raise httpcore.WriteError(str(protocol.error))

    async def aclose(self) -> None:
        self._held, self._held_size = [], 0
        self._poll = None  # its descriptor may be reused once the socket is closed
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=timeout,
                )
        except TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        assert isinstance(transport, asyncio.Transport)
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._readable()
        if info in ("ssl_object", "socket"):
            return self._transport.get_extra_info(info)
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        return None

    def _readable(self) -> bool:
        """httpcore's check that an idle connection was not closed by the server: data or
        EOF already received, or waiting in the kernel (a poll kept per socket)."""
        protocol = self._protocol
        if protocol.buffer or protocol.eof or self._transport.is_closing():
            return True
        if self._poll is None:
            sock = self._transport.get_extra_info("socket")
            if sock is None or sock.fileno() < 0:
                return True
            self._poll = select.poll()
            self._poll.register(sock.fileno(), select.POLLIN)
        return bool(self._poll.poll(0))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens `AsyncioStream`s: TCP_NODELAY is asyncio's default for TCP."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol, host, port, local_addr=local
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "connect timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        assert isinstance(transport, asyncio.Transport)
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not partner endpoints")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Endpoint:
    """POSTs to one URL over keep-alive connections held in a LIFO stack.

    Not a pool: the caller bounds how many requests run at once (a semaphore per
    partner), and every request in flight holds a connection of its own.
    """

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext,
        guarded: bool,
        timeout: Timeouts,
        user_agent: str,
    ) -> None:
        parsed = httpx.URL(url)  # as httpx would send it: IDNA host, quoted path
        self.url = httpcore.URL(
            scheme=parsed.raw_scheme,
            host=parsed.raw_host,
            port=parsed.port,
            target=parsed.raw_path,
        )
        self.origin = self.url.origin
        self._ssl_context = ssl_context
        self._backend = GuardedBackend(AsyncioBackend()) if guarded else AsyncioBackend()
        # Sent with every request, built once; what httpx's client sent, less
        # accept-encoding (only an error excerpt is ever read, better uncompressed).
        self.static: Headers = [
            (b"host", parsed.netloc),
            (b"accept", b"*/*"),
            (b"connection", b"keep-alive"),
            (b"user-agent", user_agent.encode("ascii")),
        ]
        if parsed.username or parsed.password:  # as httpx: credentials in the URL
            userinfo = f"{parsed.username}:{parsed.password}".encode()
            self.static.append((b"authorization", b"Basic " + base64.b64encode(userinfo)))
        self.extensions: dict[str, Any] = {
            "timeout": {
                "connect": timeout.connect,
                "read": timeout.read,
                "write": timeout.read,
                "pool": timeout.connect,
            }
        }
        self._idle: list[httpcore.AsyncHTTPConnection] = []

    def _new(self) -> httpcore.AsyncHTTPConnection:
        return httpcore.AsyncHTTPConnection(
            self.origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=KEEPALIVE,
            network_backend=self._backend,
        )

    async def _take(self) -> httpcore.AsyncHTTPConnection:
        """The most recently used idle connection still good, or a new (unopened) one."""
        while self._idle:
            connection = self._idle.pop()
            if not connection.has_expired():
                return connection
            await connection.aclose()
        return self._new()

    async def post(self, headers: Headers, body: bytes) -> Answer:
        """Send; raises httpcore's errors (TimeoutException, NetworkError, ProtocolError)."""
        request = httpcore.Request(
            b"POST", self.url, headers=headers, content=body, extensions=self.extensions
        )
        connection = await self._take()
        try:
            response = await connection.handle_async_request(request)
            try:
                data = b""
                async for chunk in response.stream:  # type: ignore[union-attr]
                    data += chunk
                    if len(data) >= MAX_BODY:
                        break  # the connection is closed, not reused
            finally:
                await response.aclose()
            return Answer(response.status, response.headers, data)
        finally:
            if connection.is_available():
                self._idle.append(connection)
            else:
                await connection.aclose()

    async def sweep(self) -> None:
        """Close idle connections the server closed or that sat idle too long."""
        expired = [c.has_expired() for c in self._idle]
        gone = [c for c, old in zip(self._idle, expired, strict=True) if old]
        self._idle = [c for c, old in zip(self._idle, expired, strict=True) if not old]
        for connection in gone:  # the stack is settled first: requests may run meanwhile
            await connection.aclose()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.aclose()

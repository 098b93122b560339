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
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from syndicate.netguard import GuardedBackend

from .settings import Timeouts

KEEPALIVE = 5.0  # seconds an idle connection is kept (httpx's default keepalive_expiry)
MAX_BODY = 4096  # bytes of an answer read; the rest is never waited for

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
        self._backend: httpcore.AsyncNetworkBackend = (
            GuardedBackend() if guarded else httpcore.AnyIOBackend()
        )
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

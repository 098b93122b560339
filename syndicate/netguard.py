"""Refuse connections to loopback, private, link-local and metadata addresses (SSRF).

One policy (`refusal`) for every URL a partner or a source controls: push partners'
endpoints (checked here, where the socket is opened) and ingest's sources (checked per
redirect hop in `syndicate.ingest.netguard`, which pins the checked address).

The check runs where the socket is opened, not when the URL is read: the host name is
resolved once, every address it resolves to is checked, and the connection goes to that
checked address itself. A name that resolves to a public address for a check and to
169.254.169.254 a moment later (DNS rebinding) therefore cannot slip through. TLS still
verifies the certificate against the host name (httpcore passes it as SNI separately).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateAddressRefused(httpcore.ConnectError):
    """The partner's host name resolves to an address partners must not be sent to."""


def refusal(address: Address) -> str | None:
    """Why `address` is off limits, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for test, what in (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local (cloud metadata)"),
        (address.is_private, "private"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not a public"),
    ):
        if test:
            return what
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the address check in `connect_tcp`."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with anyio.fail_after(timeout):
            try:
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise PrivateAddressRefused(
                    f"{host} resolves to {address}, a {why} address; refused (set "
                    "allow_private_network: true on the partner if it is meant to be internal)"
                )
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not partner endpoints")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def refused_by_guard(exc: BaseException) -> str | None:
    """The guard's message when an httpx error came from a refused address."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PrivateAddressRefused):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return None

"""Refuse source URLs that reach the newsroom's own network (SSRF).

A partner feed URL is configuration, but it may be followed through redirects a partner
controls. Every hop's host is resolved and refused when any address is not public:
loopback, private, link-local (cloud metadata at 169.254.169.254), multicast, reserved.
The request then goes to the address that was checked (`pinned`), so a second DNS answer
cannot swap in a private one (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from ..netguard import refusal
from .adapter import SourceError

_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


async def check_public(url: str) -> str:
    """The address to connect to; SourceError unless every address `url`'s host
    resolves to is public."""
    host = urlsplit(url).hostname or ""
    if host.lower().rstrip(".") in _METADATA_HOSTS:
        raise SourceError(f"{host} is a cloud metadata host; refused")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise SourceError(f"cannot resolve {host}: {exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        why = refusal(address)
        if why is not None:
            raise SourceError(
                f"{host} resolves to {address}, a {why} address; refused (set "
                "allow_private_network: true for a source inside your network)"
            )
    return str(addresses[0])


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL with the host replaced by `address`, Host header, TLS extensions) for httpx:
    TLS still checks the certificate against the original name (SNI)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    header = f"{host}:{parts.port}" if parts.port else host
    if ":" in host:
        header = f"[{host}]:{parts.port}" if parts.port else f"[{host}]"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": header}, extensions

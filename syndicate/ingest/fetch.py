"""Fetching one source as a good citizen: conditional GET, gzip, redirects with a limit,
one deadline for the whole fetch, a streamed size limit, `Retry-After` honoured."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .adapter import SourceError
from .netguard import check_public, pinned
from .settings import SourceSettings

_REDIRECTS = {301, 302, 303, 307, 308}
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


class RetryLater(SourceError):
    """The source asked us to come back later (429 or 503, maybe with Retry-After)."""

    def __init__(self, message: str, not_before: float | None) -> None:
        super().__init__(message)
        self.not_before = not_before


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last successful fetch of `url` answered, for a conditional GET."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects: the base of relative links
    not_modified: bool
    data: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


def redact(url: str) -> str:
    """scheme://host[:port]/path: messages never carry credentials or query tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as an absolute time: seconds or an HTTP date (capped at a day)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + min(int(value), 86400)
    try:
        return min(parsedate_to_datetime(value).timestamp(), now + 86400)
    except (TypeError, ValueError, IndexError):
        return None


async def fetch(
    client: httpx.AsyncClient, source: SourceSettings, previous: Validators | None
) -> Fetched:
    """The source's document; SourceError (one line) for anything that went wrong."""
    try:
        return await asyncio.wait_for(_fetch(client, source, previous), source.timeout)
    except TimeoutError:
        raise SourceError(
            f"no complete answer from {redact(source.url)} within {source.timeout:g}s"
        ) from None
    except httpx.TimeoutException:
        raise SourceError(f"timed out after {source.timeout:g}s: {redact(source.url)}") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{redact(source.url)}: {exc.__class__.__name__}: {exc}") from None


async def _fetch(
    client: httpx.AsyncClient, source: SourceSettings, previous: Validators | None
) -> Fetched:
    headers = {"Accept": ACCEPT}
    if previous is not None and previous.url == source.url:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.last_modified:
            headers["If-Modified-Since"] = previous.last_modified
    url = source.url
    for _hop in range(source.max_redirects + 1):
        target, extensions = url, dict[str, str]()
        if not source.allow_private_network:
            target, host, extensions = pinned(url, await check_public(url))
            headers.update(host)
        request = client.build_request(
            "GET", target, headers=headers, timeout=source.timeout, extensions=extensions
        )
        response = await client.send(request, stream=True)
        try:
            if response.status_code in _REDIRECTS and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                if urlsplit(url).scheme not in ("http", "https"):
                    raise SourceError(f"redirected to a non-HTTP URL: {redact(url)}")
                continue
            return await _answer(response, source, url)
        finally:
            await response.aclose()
    raise SourceError(f"more than {source.max_redirects} redirects from {redact(source.url)}")


async def _answer(response: httpx.Response, source: SourceSettings, url: str) -> Fetched:
    status = response.status_code
    if status == 304:
        return Fetched(url, True)
    if status in (429, 503):
        not_before = retry_after(response.headers.get("retry-after"), time.time())
        wait = f"; Retry-After honoured until {time.ctime(not_before)}" if not_before else ""
        raise RetryLater(f"HTTP {status} from {redact(url)}{wait}", not_before)
    if not 200 <= status < 300:
        raise SourceError(f"HTTP {status} {response.reason_phrase} from {redact(url)}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > source.max_bytes:
        raise SourceError(f"{redact(url)} is {int(declared):,} bytes, over max_bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decompressed: a gzip bomb stops here too
        size += len(chunk)
        if size > source.max_bytes:
            raise SourceError(
                f"{redact(url)} is over max_bytes ({source.max_bytes:,} bytes); not read further"
            )
        chunks.append(chunk)
    return Fetched(
        url,
        False,
        b"".join(chunks),
        response.headers.get("content-type", ""),
        response.headers.get("etag"),
        response.headers.get("last-modified"),
    )

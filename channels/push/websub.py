"""WebSub publisher pings: tell each hub which feeds just changed.

W3C WebSub leaves the publish notification to hubs; the convention they share
(PubSubHubbub 0.4, Google's and Superfeedr's hubs, WordPress, Ghost) is a form POST of
`hub.mode=publish&hub.url=<feed URL>`, one per feed. A failing hub is only a warning:
subscribers still poll, and the next publish pings again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

import httpx

from syndicate.model import SiteInfo
from syndicate.urls import FEED_FILES

from .settings import redact_url

FEED_NAMES = frozenset(FEED_FILES.values())
PING_CONCURRENCY = 8
PING_TIMEOUT = httpx.Timeout(10.0)


def changed_feeds(written: Iterable[str], info: SiteInfo) -> list[str]:
    """Absolute URLs of the feed files among the output paths a publish changed."""
    return sorted(info.absolute(p) for p in written if PurePosixPath(p).name in FEED_NAMES)


async def ping(hubs: Sequence[str], feeds: Sequence[str], *, verify: object = True) -> list[str]:
    """POST one publish notification per (hub, feed); returns warnings, never raises."""
    warnings: list[str] = []
    limit = asyncio.Semaphore(PING_CONCURRENCY)

    async def one(client: httpx.AsyncClient, hub: str, feed: str) -> None:
        async with limit:
            try:
                response = await client.post(hub, data={"hub.mode": "publish", "hub.url": feed})
            except httpx.HTTPError as exc:
                warnings.append(f"WebSub hub {redact_url(hub)}: {type(exc).__name__} for {feed}")
                return
            if not 200 <= response.status_code < 300:
                warnings.append(
                    f"WebSub hub {redact_url(hub)} answered {response.status_code} for {feed}"
                )

    async with httpx.AsyncClient(timeout=PING_TIMEOUT, verify=verify) as client:  # type: ignore[arg-type]
        await asyncio.gather(*(one(client, hub, feed) for hub in hubs for feed in feeds))
    return warnings

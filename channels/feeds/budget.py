"""Keep every feed file under the size limit by dropping its oldest items.

Some aggregators refuse feeds of 1 MB or more. The site feed's archive pages hold
every article, so an item that drops out of a window is never lost. An article too big
to fit alone is listed with its summary instead of its full text. Entry sizes are
known exactly (entries are serialised once, then spliced), so this is arithmetic, not
trial rendering.
"""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.errors import ChannelError


class FeedTooLarge(ChannelError):
    """Even a feed with one summary-only item exceeds the size limit."""


def fitting_count(fixed: int, sizes: Iterable[int], max_bytes: int) -> int:
    """How many of the leading items fit with `fixed` bytes of head, strictly under the limit."""
    total, count = fixed, 0
    for size in sizes:
        if total + size >= max_bytes:
            break
        total += size
        count += 1
    return count


def check_size(data: bytes, max_bytes: int, what: str) -> bytes:
    if len(data) >= max_bytes:
        raise FeedTooLarge(
            f"{what}: {len(data)} bytes even with one summary-only item "
            f"(limit {max_bytes}); raise channels.feeds.max_bytes"
        )
    return data

"""What to do after an attempt: delivered, try again later, or give up (dead letter).

Follows the Standard Webhooks guidance: 2xx is success; 408, 429, 5xx, timeouts and
connection failures are worth retrying with exponential backoff and jitter, waiting at
least as long as a `Retry-After` asks; 3xx (we never follow redirects) and other 4xx
will not get better by themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal

from .settings import Backoff

RETRYABLE_STATUS = frozenset({408, 425, 429})
EXCERPT_BYTES = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Literal["delivered", "retry", "dead"]
    status: int | None
    error: str = ""
    retry_after: float | None = None  # seconds the partner asked us to wait


def for_status(status: int, excerpt: str, retry_after: float | None, location: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome("delivered", status)
    message = f"HTTP {status}"
    if excerpt:
        message += f": {excerpt}"
    if status in RETRYABLE_STATUS or status >= 500:
        return Outcome("retry", status, message, retry_after)
    if 300 <= status < 400:
        where = f" to {location}" if location else ""
        message = f"HTTP {status}: redirected{where}; redirects are not followed, fix the URL"
    return Outcome("dead", status, message)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from now, from delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now)


def retry_delay(
    attempts: int, backoff: Backoff, retry_after: float | None, rng: random.Random
) -> float:
    """Full jitter (uniform 0..base*2**(n-1), capped), but never sooner than Retry-After."""
    ceiling = min(backoff.cap, backoff.base * 2 ** min(attempts - 1, 60))
    delay = rng.uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, backoff.max_retry_after))
    return delay


def excerpt(data: bytes) -> str:
    text = data[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return " ".join(text.split())

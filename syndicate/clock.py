"""The one "now" of a publish: which stories are scheduled, live or expired.

Channels never ask the system clock: the pipeline reads it once (or takes `--now`) and
hands it down, so a test or a rehearsal publishes as if it were any time it likes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The system clock, in UTC, to the second (what every "now" of a publish is)."""
    return datetime.now(UTC).replace(microsecond=0)


def parse_now(text: str) -> datetime:
    """`--now 2027-06-01T06:00:00+08:00` (or `Z`): an aware date-time, or ValueError."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date-time (e.g. 2027-06-01T06:00:00+08:00)"
        ) from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: add one (+08:00, Z)")
    return value


def moment(value: datetime | date, zone: tzinfo | None) -> datetime:
    """A front matter date or date-time as an aware time (the site's zone, else UTC):
    for dates that only label something, such as a correction's."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), zone or UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone or UTC)

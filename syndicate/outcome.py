"""What a publish did: the values `syndicate publish` prints, whether the publish ran in
this process or in a resident publisher (`engine/daemon.py`), which sends them back.

Kept free of imports beyond the standard library: a publish handed to a resident
publisher needs only these, not the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from .errors import Warnings


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]  # new or changed files
    unchanged: int
    removed: tuple[str, ...]


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    written: int
    unchanged: int
    removed: int


@dataclass
class PublishOutcome:
    articles: int
    drafts_skipped: int
    channels: list[str]
    write: WriteReport
    output_dir: Path
    reused: int = 0  # outputs carried over from the last publish without rendering
    skipped: bool = False  # no input changed: nothing was read or rendered
    warnings: Warnings = field(default_factory=Warnings)
    next_change: datetime | None = None  # when the next scheduled story goes out
    served_by: str | None = None  # the process that published, when not this one
    # Counted when first asked for: only the CLI shows the table, and counting every
    # output file's owner cost 0.06 s of each of watch's edits at 100,000 articles.
    counts: Callable[[], list[ChannelCount]] = field(default=list, repr=False)

    @cached_property
    def by_channel(self) -> list[ChannelCount]:
        """Files written, unchanged and removed per channel (asked for before the next
        publish of the same resident, which may change the output lists it counts)."""
        return self.counts()

"""Exception classes: every failure a user can cause names where it happened."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, located as precisely as we know."""

    path: Path | str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        path = str(self.path)
        if not path.isprintable():  # a newline in a file name must not split the message
            path = path.encode("unicode_escape").decode("ascii")
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.message}"


class SyndicateError(Exception):
    """Base class for errors a user can act on; the CLI prints them as one line each."""


class ConfigError(SyndicateError):
    """syndicate.yaml (or a channel's settings) is missing, malformed or invalid."""


class ContentError(SyndicateError):
    """One or more content files are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ChannelError(SyndicateError):
    """A channel could not be loaded or failed while rendering."""


class CacheError(SyndicateError):
    """The build cache is unusable mid-publish; it has been cleared for the next one."""


class PublishError(SyndicateError):
    """The output could not be written; the previous output is left as it was."""

"""Exception classes: every failure a user can cause names where it happened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# "key.path: what is wrong": how messages about one key or setting start.
_KEYED = re.compile(r"([A-Za-z_][\w-]*(?:\.[\w-]+)*): (.*)", re.DOTALL)
# "file:line: message" or "file: message", as every error line is printed.
_LOCATED = re.compile(r"(?P<path>[^:\n]+?)(?::(?P<line>\d+))?: (?P<message>.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, located as precisely as we know."""

    path: Path | str
    message: str
    line: int | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        path = str(self.path)
        if not path.isprintable():  # a newline in a file name must not split the message
            path = path.encode("unicode_escape").decode("ascii")
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.message}"

    @classmethod
    def parse(cls, text: str) -> Problem:
        """A problem back from its printed form (config errors are raised as text)."""
        match = _LOCATED.fullmatch(text)
        if match is None:
            return cls("", text)
        line = match["line"]
        return cls(match["path"], match["message"], int(line) if line else None)

    def as_json(self) -> dict[str, str | int | None]:
        """{file, line, key, message, severity}: `key` is the front matter key or setting
        the message is about (None when it is about the whole file)."""
        keyed = _KEYED.fullmatch(self.message)
        key, message = (keyed[1], keyed[2]) if keyed else (None, self.message)
        return {
            "file": str(self.path),
            "line": self.line,
            "key": key,
            "message": message,
            "severity": self.severity,
        }


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

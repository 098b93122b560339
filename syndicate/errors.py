"""Exception classes: every failure a user can cause names where it happened."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

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


class Warnings(Sequence[str]):
    """A publish's warnings as printed, each put into words only when read: an archive
    with 40,000 old broken links carries them through every edit, and `watch` shows
    only those about the files just saved (`about`)."""

    def __init__(self, problems: Iterable[Problem] = (), lines: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        self.lines = list(lines)

    def append(self, line: str) -> None:
        self.lines.append(line)

    def about(self, names: Callable[[str], bool]) -> list[str]:
        """The warnings about the files `names` accepts (by the file named first)."""
        found = [str(p) for p in self.problems if names(str(p.path))]
        return found + [line for line in self.lines if names(_located_file(line))]

    def __len__(self) -> int:
        return len(self.problems) + len(self.lines)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if 0 <= index < len(self.problems):
            return str(self.problems[index])
        return self.lines[index - len(self.problems)]

    def __iter__(self) -> Iterator[str]:
        yield from map(str, self.problems)
        yield from self.lines


def _located_file(line: str) -> str:
    """The file a printed warning names: "story.md:3: ..." names story.md."""
    return _LINE.sub("", line.partition(": ")[0])


_LINE = re.compile(r":\d+$")


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

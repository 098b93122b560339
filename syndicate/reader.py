"""Content reader: Markdown files with YAML front matter -> validated source records.

This is the only module that touches content files. It never raises for a bad file:
each problem becomes a `Problem` naming the file and line, and the other files go on.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
)

from . import validate, yamlio
from .errors import Problem
from .fields import Matter, read_matter
from .xmlchars import XML_FORBIDDEN, may_hold_forbidden
from .yamlio import yaml_error_line

INDEX_NAME = "_index.md"
ARTICLE_SUFFIXES = (".md", ".markdown")
_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


class SectionMatter(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)
    title: str | None = None
    description: str = ""
    titles: dict[str, str] = {}  # per-language titles: {zh-Hans: 财经}


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """One article file, read and validated but not yet rendered or linked."""

    path: str  # POSIX path relative to the content folder
    section: str
    matter: Matter
    matter_text: str  # the raw YAML, to point messages at a key's line
    body: str
    body_line: int  # line of the file where the body starts
    digest: str


@dataclass(frozen=True, slots=True)
class SourceSection:
    path: str  # section path, "" for the home page
    matter: SectionMatter


@dataclass
class ReadResult:
    articles: list[SourceArticle]
    sections: dict[str, SourceSection]
    problems: list[Problem]
    stamps: list[Stamp] = field(default_factory=list)

    def add(self, found: list[Source | None]) -> None:
        """Sort what was read into sections and articles, keeping the walk's order."""
        for source in found:
            if isinstance(source, SourceSection):
                self.sections[source.path] = source
            elif source is not None:
                self.articles.append(source)


def iter_content_files(content_dir: Path) -> Iterator[Path]:
    """Every Markdown file below content_dir, skipping `_`/`.` names except `_index.md`."""
    for full, _ in walk_content(str(content_dir)):
        yield Path(full)


def walk_content(content_dir: str) -> Iterator[tuple[str, str]]:
    """(full path, path relative to content_dir) as strings: cheap for 100,000 files."""
    prefix = len(content_dir.rstrip(os.sep)) + 1
    for folder, dirs, files in os.walk(content_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        for name in sorted(files):
            if name == INDEX_NAME or (
                name.endswith(ARTICLE_SUFFIXES) and not name.startswith(("_", "."))
            ):
                full = os.path.join(folder, name)
                yield full, full[prefix:].replace(os.sep, "/")


Source = SourceArticle | SourceSection
Stamp = tuple[str, int, int]  # (file relative to the content folder, mtime ns, size)
ReadItem = tuple[Path, Path, str]  # (file, path relative to content, section)


def read_one(
    file: Path, rel: Path, section: str, max_bytes: int
) -> tuple[Source | None, list[Problem]]:
    problems: list[Problem] = []
    if file.name == INDEX_NAME:
        return read_section(file, rel, section, max_bytes, problems), problems
    return read_article(file, rel, section, max_bytes, problems), problems


def read_content(content_dir: Path, *, max_file_bytes: int) -> ReadResult:
    """Read every article and section index below content_dir, in a stable order."""
    result = ReadResult([], {}, [])
    found: list[Source | None] = []
    for full, (key, _, _) in stat_content(content_dir, result):
        rel = Path(key)
        source, problems = read_one(Path(full), rel, section_of(rel), max_file_bytes)
        result.problems.extend(problems)
        found.append(source)
    result.add(found)
    return result


ContentEntry = tuple[str, str, tuple[int, int] | str]  # (full, relative, (mtime, size) or why not)


def content_entries(content_dir: str) -> Iterator[ContentEntry]:
    """Every content file below `content_dir` with its (mtime, size), in walk order."""
    for full, key in walk_content(content_dir):
        yield stat_entry(full, key)


def stat_entry(full: str, key: str) -> ContentEntry:
    try:
        stat = os.stat(full)
    except OSError as exc:
        return full, key, f"cannot read: {exc.strerror}"
    return full, key, (stat.st_mtime_ns, stat.st_size)


def stat_content(
    content_dir: Path, result: ReadResult, entries: Iterable[ContentEntry] | None = None
) -> Iterator[tuple[str, Stamp]]:
    """(full path, (path relative to content_dir, mtime, size)) of every content file,
    each stamp recorded in `result`; a missing folder or unreadable file is a problem.
    `entries`: `content_entries` taken already (a resident publisher keeps them)."""
    if not content_dir.is_dir():
        result.problems.append(Problem(content_dir, "content folder not found"))
        return
    for full, key, found in content_entries(str(content_dir)) if entries is None else entries:
        if isinstance(found, str):
            result.problems.append(Problem(key, found))
            continue
        stamp = (key, *found)
        result.stamps.append(stamp)
        yield full, stamp


def section_of(rel: Path) -> str:
    """The section path of a content file ("" for the home page's folder)."""
    return rel.parent.as_posix().strip(".")


def read_article(
    file: Path, rel: Path, section: str, max_bytes: int, problems: list[Problem]
) -> SourceArticle | None:
    parsed = _read_front_matter(file, rel, max_bytes, problems, required=True)
    if parsed is None:
        return None
    data, matter_text, body, body_line, digest = parsed
    try:
        matter = read_matter(data)
    except ValidationError as exc:
        problems.extend(_matter_problems(rel, exc, matter_text))
        return None
    return SourceArticle(rel.as_posix(), section, matter, matter_text, body, body_line, digest)


def read_section(
    file: Path, rel: Path, section: str, max_bytes: int, problems: list[Problem]
) -> SourceSection | None:
    parsed = _read_front_matter(file, rel, max_bytes, problems, required=False)
    if parsed is None:
        return None
    data, matter_text, *_ = parsed
    try:
        return SourceSection(section, SectionMatter.model_validate(data))
    except ValidationError as exc:
        problems.extend(_matter_problems(rel, exc, matter_text))
        return None


def _read_front_matter(
    file: Path, rel: Path, max_bytes: int, problems: list[Problem], *, required: bool
) -> tuple[dict[str, Any], str, str, int, str] | None:
    """(front matter, its YAML text, body, body start line, digest) or None after
    recording why."""
    read = _read_text(file, rel, max_bytes, problems, allow_empty=not required)
    if read is None:
        return None
    text, encoded = read
    digest = hashlib.blake2b(encoded, digest_size=16).hexdigest()
    split = split_front_matter(text)
    if split is None:
        if required:
            problems.append(
                Problem(
                    rel,
                    "no front matter: start the file with a '---' line, "
                    "then title: and published:, then '---'",
                    1,
                )
            )
            return None
        return {}, "", text, 1, digest
    matter_text, body, body_line = split
    try:
        data = yamlio.load(matter_text)
    except yamlio.TooComplexError as exc:
        problems.append(Problem(rel, f"front matter is too complex: {exc}"))
        return None
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(
            Problem(rel, f"invalid YAML in front matter: {problem}", line + 1 if line else None)
        )
        return None
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp like 2024-13-40
        problems.append(Problem(rel, f"invalid value in front matter: {exc}"))
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(rel, "front matter must be a mapping of keys to values", 2))
        return None
    # Only an escape ("\\0" in a double-quoted string) can turn clean bytes into
    # characters the byte check above refuses.
    found = next(validate.forbidden_characters(data), None) if "\\" in matter_text else None
    if found is not None:
        key, char = found
        line = key_line(matter_text, key.partition(".")[0].partition("[")[0])
        problems.append(Problem(rel, f"{key}: {_forbidden(char)}", line))
        return None
    return data, matter_text, body, body_line, digest


def _read_bytes(file: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it is larger than `max_bytes`.

    os.open/fstat/read: half the system calls of Path.stat() + read_bytes() (no
    buffering, seek or terminal probes), for every article of every cold publish.
    """
    fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            return None
        data = b""
        while chunk := os.read(fd, max(size + 1 - len(data), 4096)):
            data += chunk
            if len(data) > max_bytes:
                return None  # it grew past the limit while we read it
        return data
    finally:
        os.close(fd)


def _read_text(
    file: Path, rel: Path, max_bytes: int, problems: list[Problem], *, allow_empty: bool
) -> tuple[str, bytes] | None:
    """The file's text and its UTF-8 bytes (both without a byte order mark), so the
    digest needs no second encoding; None after recording why not."""
    try:
        raw = _read_bytes(file, max_bytes)
        if raw is None:
            size = file.stat().st_size
            problems.append(
                Problem(
                    rel,
                    f"file is {size / 1e6:.1f} MB, larger than the "
                    f"max_file_bytes limit ({max_bytes / 1e6:.1f} MB)",
                )
            )
            return None
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read: {exc.strerror}"))
        return None
    if (not raw or raw.isspace()) and not allow_empty:  # isspace(): no copy, unlike strip()
        problems.append(Problem(rel, "empty file"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(
            Problem(
                rel, f"not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})", line
            )
        )
        return None
    if b"\r" in raw:  # Windows (CRLF) and old Mac (CR) line endings read as "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Characters XML 1.0 cannot hold at all would make every feed unparseable.
    bad = XML_FORBIDDEN.search(text) if may_hold_forbidden(raw) else None
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        problems.append(Problem(rel, _forbidden(bad.group()), line))
        return None
    if text.startswith("\ufeff"):
        return text[1:], raw[3:]
    return text, raw


def _forbidden(char: str) -> str:
    kind = "control character" if char < " " else "character"
    return f"{kind} U+{ord(char):04X} is not allowed (feeds and HTML cannot carry it)"


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(YAML text, body, line the body starts on) or None when there is no front matter."""
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return None
    end = _FENCE.search(text, 4)
    if end is None:
        return None
    matter = text[4 : end.start()]
    body_start = end.end() + 1
    return matter, text[body_start:], text.count("\n", 0, body_start) + 1


def key_line(matter_text: str, key: str) -> int | None:
    """File line of a top-level front matter key (the YAML starts on line 2)."""
    match = re.search(rf"^{re.escape(key)}\s*:", matter_text, re.MULTILINE)
    return matter_text.count("\n", 0, match.start()) + 2 if match else None


def _matter_problems(rel: Path, error: ValidationError, text: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = item["loc"]
        key = ".".join(str(p) for p in loc if not str(p).startswith(("function-", "datetime")))
        key = key or "front matter"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        elif item["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            message = "unknown key"
        line = key_line(text, str(loc[0])) if loc else None
        problems.append(Problem(rel, f"{key}: {message}", line))
    return problems

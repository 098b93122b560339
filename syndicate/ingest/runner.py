"""`syndicate ingest`: fetch every due source at once, then turn entries into files.

Fetching is concurrent (asyncio + httpx); parsing and writing go source by source in
the order of syndicate.yaml, each inside its own error boundary, so one bad source never
stops the others. A source's document is parsed completely before any of its files is
written, and each file is written atomically.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from .. import __version__
from ..config import Config, load_config
from ..errors import ConfigError, SyndicateError
from .adapter import SourceAdapter, SourceError, choose_adapter, load_adapter, source_entry_points
from .articles import EntrySkipped, Story, article_text, permanent_id, story
from .content import ContentIndex
from .fetch import Fetched, RetryLater, Validators, fetch
from .settings import SourceSettings
from .state import (
    INCOMING,
    EntryState,
    IngestState,
    digest,
    ingest_lock,
    load_state,
    save_state,
    write_atomic,
)

ActionKind = Literal["create", "update", "conflict", "unchanged"]
_CONCURRENCY = 8


@dataclass
class Action:
    kind: ActionKind
    path: str  # relative to the content folder
    title: str
    id: str


@dataclass
class SourceReport:
    name: str
    status: Literal["ok", "not-modified", "not-due", "error"] = "ok"
    message: str = ""
    problems: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for a in self.actions if a.kind == kind)


@dataclass
class IngestReport:
    dry_run: bool
    sources: list[SourceReport]
    problems: list[str] = field(default_factory=list)  # not about one source (adapters)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def failed(self) -> bool:
        return any(s.status == "error" for s in self.sources)


def select_sources(config: Config, names: list[str] | None) -> list[SourceSettings]:
    sources = list(config.file.sources)
    if not names:
        return sources
    known = {s.name for s in sources}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"no source named {unknown[0]!r} in {config.source or 'syndicate.yaml'} "
            f"(sources: {', '.join(sorted(known)) or 'none'})"
        )
    return [s for s in sources if s.name in names]


def load_adapters(reports: list[str]) -> dict[str, SourceAdapter]:
    adapters: dict[str, SourceAdapter] = {}
    for entry in source_entry_points():
        try:
            adapters[entry.name] = load_adapter(entry)
        except SourceError as exc:
            reports.append(str(exc))
    return adapters


def ingest(
    config: Config,
    *,
    names: list[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> IngestReport:
    """Fetch the due sources and create, update or keep aside their articles."""
    sources = select_sources(config, names)
    adapter_problems: list[str] = []
    adapters = load_adapters(adapter_problems)
    with ingest_lock(config.state_dir):
        state = load_state(config.state_dir)
        now = time.time()
        reports = {s.name: SourceReport(s.name) for s in sources}
        due = [s for s in sources if _due(s, state, now, force, reports[s.name])]
        fetched = asyncio.run(_fetch_all(config, due, state))
        index: list[ContentIndex] = []  # scanned on the first new story
        for source in due:
            report = reports[source.name]
            result = fetched[source.name]
            try:
                _ingest_source(config, source, result, state, adapters, index, report, dry_run)
            except SourceError as exc:
                report.status, report.message = "error", str(exc)
                if isinstance(exc, RetryLater) and exc.not_before:
                    state.source(source.name).not_before = exc.not_before
            except Exception as exc:  # an adapter's bug stays within its source
                report.status = "error"
                report.message = f"failed: {exc.__class__.__name__}: {exc}"
            if report.status != "not-due":
                state.source(source.name).fetched_at = now
        if not dry_run:
            save_state(config.state_dir, state)
    return IngestReport(dry_run, [reports[s.name] for s in sources], adapter_problems)


def _due(
    source: SourceSettings, state: IngestState, now: float, force: bool, report: SourceReport
) -> bool:
    known = state.sources.get(source.name)
    if known is None:
        return True
    if now < known.not_before:
        report.status = "not-due"
        report.message = f"asked to wait (Retry-After) until {time.ctime(known.not_before)}"
        return False
    if not force and now < known.fetched_at + source.interval:
        report.status = "not-due"
        wait = known.fetched_at + source.interval - now
        report.message = f"fetched {now - known.fetched_at:.0f}s ago; next due in {wait:.0f}s"
        return False
    return True


async def _fetch_all(
    config: Config, sources: list[SourceSettings], state: IngestState
) -> dict[str, Fetched | SourceError]:
    user_agent = f"syndicate/{__version__} (+{config.file.site.base_url})"
    limit = asyncio.Semaphore(_CONCURRENCY)
    async with httpx.AsyncClient(headers={"User-Agent": user_agent}, follow_redirects=False) as c:

        async def one(source: SourceSettings) -> Fetched | SourceError:
            known = state.sources.get(source.name)
            previous = Validators(known.url, known.etag, known.last_modified) if known else None
            async with limit:
                try:
                    return await fetch(c, source, previous)
                except SourceError as exc:
                    return exc

        results = await asyncio.gather(*(one(s) for s in sources))
    return {s.name: r for s, r in zip(sources, results, strict=True)}


def _ingest_source(
    config: Config,
    source: SourceSettings,
    result: Fetched | SourceError,
    state: IngestState,
    adapters: dict[str, SourceAdapter],
    index: list[ContentIndex],
    report: SourceReport,
    dry_run: bool,
) -> None:
    if isinstance(result, SourceError):
        raise result
    known = state.source(source.name)
    if result.not_modified:
        report.status, report.message = "not-modified", "not modified since the last fetch (304)"
        return
    adapter = choose_adapter(adapters, source.format, result.data, result.content_type)
    feed = adapter.parse(result.data, result.content_type, result.url)
    report.problems.extend(feed.problems)
    stories: list[tuple[str, Story]] = []
    seen: set[str] = set()
    for number, entry in enumerate(feed.entries, 1):
        try:
            found = story(entry, feed, result.url, f"entry {number}")
        except EntrySkipped as exc:
            report.problems.append(str(exc))
            continue
        report.problems.extend(found.problems)
        uid = permanent_id(config.site, source.name, found.entry_id)
        if uid in seen:
            report.problems.append(
                f"entry {number}: duplicate id {found.entry_id[:80]!r}; the first one is kept"
            )
            continue
        seen.add(uid)
        stories.append((uid, found))
    if not stories and feed.entries:
        raise SourceError("no entry could be imported")
    for uid, found in stories:
        owner = state.entries.get(uid)
        if owner is not None and owner.source != source.name:
            continue  # the same story came first through another source
        report.actions.append(_apply(config, source, uid, found, state, index, report, dry_run))
    if not dry_run:
        known.url, known.etag, known.last_modified = source.url, result.etag, result.last_modified
        known.not_before = 0.0
        known.seen = sorted(seen)
    report.message = f"{len(stories)} entries ({adapter.name})"


def _published(found: Story, entry: EntryState | None, report: SourceReport) -> datetime:
    if found.published is not None:
        return found.published
    if entry is not None:
        return datetime.fromisoformat(entry.published)
    now = datetime.now(UTC).replace(microsecond=0)
    report.problems.append(f"{found.title[:60]!r}: no usable date; dated {now.isoformat()}")
    return now


def _apply(
    config: Config,
    source: SourceSettings,
    uid: str,
    found: Story,
    state: IngestState,
    index: list[ContentIndex],
    report: SourceReport,
    dry_run: bool,
) -> Action:
    entry = state.entries.get(uid)
    published = _published(found, entry, report)
    text = article_text(found, source, uid, published)
    new = digest(text)
    if entry is None:
        if not index:
            index.append(ContentIndex.scan(config.content_dir))
        adopted = index[0].ids.get(uid)
        if adopted is not None:  # imported before the state was lost: the file is the editor's
            entry = EntryState(source.name, found.entry_id, adopted, "", "", published.isoformat())
        else:
            path = index[0].place(source.section, found.title)
            if not dry_run:
                target = config.content_dir / path
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, text, new=True)
                state.entries[uid] = EntryState(
                    source.name, found.entry_id, path, new, new, published.isoformat()
                )
            return Action("create", path, found.title, uid)
    if new == entry.received:
        return Action("unchanged", entry.path, found.title, uid)
    target = config.content_dir / entry.path
    try:
        current = digest(target.read_bytes())
    except FileNotFoundError:  # an editor removed it: never brought back
        return Action("unchanged", entry.path, found.title, uid)
    if current == new:  # the file already says this (an adopted file, a manual merge)
        if not dry_run:
            entry.written = entry.received = new
            state.entries[uid] = entry
        return Action("unchanged", entry.path, found.title, uid)
    if current in (entry.written, entry.incoming):
        if not dry_run:
            write_atomic(target, text)
            _drop_stale_incoming(target, entry.incoming)
            entry.written = entry.received = new
            entry.incoming = None
            state.entries[uid] = entry
        return Action("update", entry.path, found.title, uid)
    aside = target.with_name(target.name + INCOMING)
    if aside.exists() and digest(aside.read_bytes()) != entry.incoming:
        report.problems.append(f"{entry.path}{INCOMING} was edited; left as it is")
        return Action("unchanged", entry.path, found.title, uid)
    if not dry_run:
        write_atomic(aside, text)
        entry.received = entry.incoming = new
        state.entries[uid] = entry
    return Action("conflict", entry.path, found.title, uid)


def _drop_stale_incoming(target: Path, incoming: str | None) -> None:
    """A kept-aside version the update supersedes goes, if it is still what we wrote."""
    aside = target.with_name(target.name + INCOMING)
    if incoming and aside.exists() and digest(aside.read_bytes()) == incoming:
        aside.unlink()


def ingest_every(
    config_path: Path,
    seconds: float,
    stop: threading.Event,
    report: Callable[[str], None],
    report_error: Callable[[str], None],
) -> None:
    """Ingest the due sources now and every `seconds` until `stop` (for `watch --ingest`).

    Each source's own `interval` still decides whether it is fetched; the files written
    are what `watch` sees change and publishes. Problems are reported, never raised.
    """
    while not stop.is_set():
        try:
            result = ingest(load_config(config_path))
        except SyndicateError as exc:
            report_error(f"error: ingest: {exc}")
        else:
            for source in result.sources:
                if source.status == "error":
                    report_error(f"error: ingest: {source.name}: {source.message}")
                elif source.actions and any(a.kind != "unchanged" for a in source.actions):
                    kinds = sorted({a.kind for a in source.actions} - {"unchanged"})
                    counts = ", ".join(f"{source.count(kind)} {kind}" for kind in kinds)
                    report(f"ingest: {source.name}: {counts}")
        stop.wait(seconds)

"""The build cache: what the last publish learned, so the next one redoes only what changed.

Kept in the cache folder (`cachefile` for the entries, SQLite for rendered bodies). It
holds no state that matters: deleting it (or a version change) only makes the next
publish a cold one. Nothing read from it is trusted unless it carries the keyed digest
of the site's cache key (kept in the state folder), so a file or row planted in the cache
folder is ignored, never published.
"""

from __future__ import annotations

import gc
import hmac
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from . import __version__, cachefile, model
from .digests import fingerprint
from .errors import CacheError, Problem
from .markdown import RenderedBody, render_body
from .model import Body, Heading
from .reader import (
    Matter,
    ReadItem,
    SectionMatter,
    Source,
    SourceArticle,
    SourceSection,
    read_one,
)

T = TypeVar("T")
Packed = tuple[Any, ...]  # a record as plain values, for msgpack and worker results
R = TypeVar("R")
CACHE_NAME = "build-cache.msgpack"
PARALLEL_THRESHOLD = 200  # below this, starting worker processes costs more than it saves


@dataclass
class BuildCache:
    version: str = field(default_factory=lambda: cache_version())
    sources: dict[str, tuple[int, int, SourceArticle | SourceSection]] = field(default_factory=dict)
    bodies: dict[str, RenderedBody] = field(default_factory=dict)  # by file digest
    # channel output keyed by a fingerprint of everything it was rendered from:
    # key -> ((path, checksum), ...)
    outputs: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    stored: set[str] = field(default_factory=set)  # body digests already in the body store
    # `sources` as saved: packed into plain tuples, which encode ~5x faster than the
    # records. Kept up to date entry by entry, so a save finds the few that changed.
    packed: dict[str, tuple[int, int, Packed]] = field(default_factory=dict, repr=False)
    snapshot: cachefile.Snapshot | None = field(default=None, repr=False)  # the last on disk

    @classmethod
    def load(cls, folder: Path, key: bytes) -> BuildCache:
        """What the last publish saved with `key`; an empty cache if anything is amiss."""
        try:
            tables, snapshot = cachefile.load(folder / CACHE_NAME, cache_version(), key)
            packed = dict(tables["sources"])
            sources = {rel: (m, s, _unpack_source(p)) for rel, (m, s, p) in packed.items()}
            outputs = tables["outputs"]
            cache = cls(sources=sources, outputs=outputs, packed=packed, snapshot=snapshot)
            cache.bodies = BodyStore(folder, key).load_all()
        except Exception:  # missing, truncated, unsigned or from another version: start cold
            return cls()
        cache.stored = set(cache.bodies)
        return cache

    def save(self, folder: Path, key: bytes) -> None:
        """Bodies go to SQLite and the rest to `cachefile`: both write only what changed."""
        folder.mkdir(parents=True, exist_ok=True)
        BodyStore(folder, key).update(self.bodies, self.stored)
        self.stored = set(self.bodies)
        tables: cachefile.Tables = {"sources": self.packed, "outputs": self.outputs}
        self.snapshot = cachefile.save(
            folder / CACHE_NAME, self.version, tables, self.snapshot, key
        )

    # reader.SourceCache
    def get_source(
        self, rel: str, mtime_ns: int, size: int
    ) -> SourceArticle | SourceSection | None:
        hit = self.sources.get(rel)
        if not hit or hit[0] != mtime_ns or hit[1] != size:
            return None
        source = hit[2]
        if isinstance(source, SourceArticle) and source.digest not in self.bodies:
            return None  # the body text is not kept: re-read the file to render it
        return source

    def put_source(
        self, rel: str, mtime_ns: int, size: int, source: SourceArticle | SourceSection
    ) -> None:
        if isinstance(source, SourceArticle):  # the rendered body is cached by digest instead
            source = replace(source, body="")
        try:
            packed = _pack_source(source)
        except (TypeError, ValueError, OverflowError):  # e.g. a 30-digit number in extras
            return  # not kept: the file is simply read again next time
        self.sources[rel] = (mtime_ns, size, source)
        self.packed[rel] = (mtime_ns, size, packed)

    def read_many(
        self, items: list[ReadItem], max_bytes: int
    ) -> list[tuple[Source | None, list[Problem]]]:
        """Parse files and render their bodies together, across cores when there are many.

        Workers read the files themselves, so only the results cross process boundaries.
        """
        jobs = [(file, rel, section, max_bytes) for file, rel, section in items]
        parsed: list[tuple[Source | None, list[Problem]]] = []
        for packed, body, problems in _map(_read_and_render, jobs):
            source = _unpack_source(packed) if packed is not None else None
            if isinstance(source, SourceArticle) and body is not None:
                self.bodies[source.digest] = _unpack_body(body)
            parsed.append((source, problems))
        return parsed

    def forget_missing(self, present: set[str]) -> None:
        for rel in self.sources.keys() - present:
            del self.sources[rel]
            del self.packed[rel]

    # builder.BodyRenderer
    def render(self, sources: list[SourceArticle]) -> list[RenderedBody]:
        """Render bodies not seen before, in parallel across cores when there are many."""
        missing = [src for src in sources if src.digest not in self.bodies]
        for src, body in zip(missing, render_many([s.body for s in missing]), strict=True):
            self.bodies[src.digest] = body
        wanted = {src.digest for src in sources}
        for digest in self.bodies.keys() - wanted:
            del self.bodies[digest]
        return [self.bodies[src.digest] for src in sources]


def cache_version() -> str:
    """Changes whenever the code that produces cached values changes, even without a release."""
    here = Path(__file__).parent
    names = ("reader.py", "plainyaml.py", "markdown.py", "slug.py", "xmlchars.py", "buildcache.py",
             "cachefile.py", "model.py")  # fmt: skip
    files = [here / name for name in names]
    libraries = [version(name) for name in ("cmarkgfm", "nh3", "PyYAML")]
    return fingerprint(
        __version__, libraries, [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    )


class BodyStore:
    """Rendered bodies by content digest, in SQLite: written row by row, read lazily.

    Loading reads every body's lede, word count and sizes but not its HTML and
    subheadings: those are fetched when a channel first reads them, over one connection
    per process (forked workers open their own). Each row carries two keyed digests, one
    for what loading reads and one for what fetching reads, so a row planted or altered
    in the cache folder is never published: loading skips it (the body is rendered
    again), fetching refuses it.
    """

    def __init__(self, folder: Path, key: bytes) -> None:
        self.path = folder / f"bodies-{cache_version()}.sqlite3"
        self.folder = folder
        self.key = key
        self._readers: dict[int, sqlite3.Connection] = {}

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute(
            # HTML last: columns after it would sit behind its overflow pages.
            "CREATE TABLE IF NOT EXISTS bodies (digest TEXT PRIMARY KEY, headings TEXT, "
            "first TEXT, words INTEGER, size INTEGER, markup INTEGER, links INTEGER, "
            "summary_mac BLOB, html_mac BLOB, html TEXT)"
        )
        return conn

    def _summary_mac(self, digest: str, first: str, words: int, sizes: tuple[int, ...]) -> bytes:
        return cachefile.sign(
            self.key, digest.encode(), first.encode(), repr((words, sizes)).encode()
        )

    def _html_mac(self, digest: str, html: str, headings: str) -> bytes:
        return cachefile.sign(self.key, digest.encode(), html.encode(), headings.encode())

    def load_all(self) -> dict[str, RenderedBody]:
        if not self.path.exists():
            return {}
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT digest, first, words, size, markup, links, summary_mac FROM bodies"
            )
            return {
                digest: RenderedBody(
                    Body(fetch=partial(self.fetch, digest), size=size, markup=markup, links=links),
                    first,
                    words,
                )
                for digest, first, words, size, markup, links, mac in rows
                if isinstance(mac, bytes)
                and hmac.compare_digest(
                    mac, self._summary_mac(digest, first, words, (size, markup, links))
                )
            }
        finally:
            conn.close()

    def fetch(self, digest: str) -> tuple[str, tuple[Heading, ...]]:
        """One body's HTML and subheadings."""
        try:
            reader = self._readers.get(os.getpid())
            if reader is None:
                reader = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True)
                self._readers[os.getpid()] = reader
            # fetchall() ends the statement, so no read lock outlives the call.
            rows = reader.execute(
                "SELECT html, headings, html_mac FROM bodies WHERE digest = ?", (digest,)
            ).fetchall()
        except sqlite3.Error:  # deleted or damaged since it was loaded
            rows = []
        if rows and not self._signed(digest, *rows[0]):
            (self.folder / CACHE_NAME).unlink(missing_ok=True)
            raise CacheError(f"{self.path}: a rendered body was altered outside syndicate")
        if not rows:
            (self.folder / CACHE_NAME).unlink(missing_ok=True)  # next publish starts cold
            raise CacheError(
                f"{self.path}: the build cache lost a rendered body (was it deleted during "
                "the publish?); it has been cleared: publish again"
            )
        html, headings, _ = rows[0]
        return html, tuple(Heading(*h) for h in json.loads(headings))

    def _signed(self, digest: str, html: object, headings: object, mac: object) -> bool:
        if not (isinstance(html, str) and isinstance(headings, str) and isinstance(mac, bytes)):
            return False
        return hmac.compare_digest(mac, self._html_mac(digest, html, headings))

    def update(self, bodies: dict[str, RenderedBody], stored: set[str]) -> None:
        for stale in self.folder.glob("bodies-*.sqlite3"):
            if stale != self.path:
                stale.unlink()
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self._row(digest, b) for digest, b in bodies.items() if digest not in stored],
            )
            conn.executemany(
                "DELETE FROM bodies WHERE digest = ?", [(d,) for d in stored - bodies.keys()]
            )
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _row(self, digest: str, rendered: RenderedBody) -> tuple[object, ...]:
        html, headings, first, words, size, markup, links = _pack_body(rendered)
        heads = json.dumps(headings)
        return (digest, heads, first, words, size, markup, links,
                self._summary_mac(digest, first, words, (size, markup, links)),
                self._html_mac(digest, html, heads), html)  # fmt: skip


def _pack_source(source: Source) -> Packed:
    if isinstance(source, SourceSection):
        return ("section", source.path, cachefile.pack_exact(source.matter.model_dump()))
    return ("article", source.path, source.section, _pack_matter(source.matter),
            source.matter_text, source.body_line, source.digest)  # fmt: skip


def _unpack_source(packed: Packed) -> Source:
    if packed[0] == "section":
        return SourceSection(
            packed[1], SectionMatter.model_validate(cachefile.unpack_exact(packed[2]))
        )
    _, path, section, matter, matter_text, body_line, digest = packed
    return SourceArticle(path, section, _unpack_matter(matter), matter_text, "", body_line, digest)


# Front matter is packed into plain values; extras (any YAML) keep their exact types.
def _pack_matter(m: Matter) -> Packed:
    source = (m.source.name, m.source.url) if m.source else None
    image = m.image
    picture = (image.src, image.alt, image.caption, image.credit) if image else None
    extra = cachefile.pack_exact(m.extra) if m.extra else None
    return (m.title, m.published, m.updated, m.slug, m.summary, m.authors, source, m.tags,
            m.related, picture, m.language, m.draft, extra)  # fmt: skip


def _unpack_matter(packed: Packed) -> Matter:
    (title, published, updated, slug, summary, authors, source, tags, related, picture,
     language, draft, extra) = packed  # fmt: skip
    return Matter(
        title, published, updated, slug, summary, authors,
        model.Source(*source) if source else None, tags, related,
        model.Image(*picture) if picture else None, language, draft,
        cachefile.unpack_exact(extra) if extra is not None else {},
    )  # fmt: skip


def worker_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _map(function: Callable[[T], R], items: list[T]) -> Iterator[R]:
    """map() in forked worker processes when the list is long enough to pay for them.

    Results come in order as soon as they are ready, so the caller's handling of them
    overlaps the workers' remaining work.
    """
    workers = worker_count()
    if len(items) < PARALLEL_THRESHOLD or workers == 1:
        yield from map(function, items)
        return
    chunk = max(16, len(items) // (workers * 16))
    with fork_pool(workers) as pool:
        yield from pool.map(function, items, chunksize=chunk)


@contextmanager
def fork_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes forked from this one, sharing its memory copy-on-write.

    The heap is frozen before the fork so the workers' garbage collector never walks
    (and so copies) the parent's pages; thawed after, so a long `serve` collects as usual.
    """
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        gc.freeze()
        try:
            yield pool
        finally:
            gc.unfreeze()


def render_many(bodies: list[str]) -> list[RenderedBody]:
    return list(_map(render_body, bodies))


def _read_and_render(
    job: tuple[Path, Path, str, int],
) -> tuple[Packed | None, Packed | None, list[Problem]]:
    """Read one file in a worker. Results travel packed into plain tuples: the parent
    unpickles those ~4x faster than the records, and it does so for every article."""
    source, problems = read_one(*job)
    if source is None:
        return None, None, problems
    if not isinstance(source, SourceArticle):
        return _pack_source(source), None, problems
    return _pack_source(source), _pack_body(render_body(source.body)), problems


def _pack_body(rendered: RenderedBody) -> Packed:
    body = rendered.body
    headings = tuple((h.level, h.text, h.anchor) for h in body.headings)
    return (body.html, headings, rendered.first_paragraph, rendered.word_count, body.size,
            body.markup, body.links)  # fmt: skip


def _unpack_body(packed: Packed) -> RenderedBody:
    html, headings, first, words, size, markup, links = packed
    body = Body(html, tuple(Heading(*h) for h in headings), size=size, markup=markup, links=links)
    return RenderedBody(body, first, words)

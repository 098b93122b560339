"""The build cache: what the last publish learned, so the next one redoes only what changed.

Kept in the cache folder (`cachefile` for the entries, SQLite for rendered bodies). It
holds no state that matters: deleting it (or a version change) only makes the next
publish a cold one. Nothing read from it is trusted unless it carries the keyed digest
of the site's cache key (kept in the state folder), so a file or row planted in the cache
folder is ignored, never published.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from itertools import compress, count
from operator import is_not
from pathlib import Path
from typing import Any

from .. import __version__
from ..builder import Reuse
from ..delivery.corrections import Corrected
from ..digests import fingerprint
from ..errors import Problem
from ..linkcheck import LinkReuse
from ..markdown import RenderedBody, render_body
from ..reader import (
    ContentEntry,
    ReadItem,
    ReadResult,
    Source,
    SourceArticle,
    SourceSection,
    Stamp,
    content_entries,
    read_one,
    section_of,
    stat_content,
    stat_entry,
)
from ..templating import Templates
from ..writer import KnownManifest
from . import cachefile
from .bodystore import BodyStore
from .edits import LastBuild
from .filestamp import vouches
from .packing import Packed, pack_body, pack_source, unpack_body, unpack_source
from .plans import Rendered
from .walks import Walks
from .workers import parallel_map, render_many

CACHE_NAME = "build-cache.msgpack"


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
        """What the last publish saved with `key`; an empty cache if anything is amiss.

        Loading makes tens of objects per article: a publish loads it with the cyclic
        collector paused (`pipeline.cycle_collection_paused`), which would otherwise walk
        them all again and again as their number grows (a third of the load's time).
        """
        try:
            cache = cls._load(folder, key)
        except Exception:  # missing, truncated, unsigned or from another version: start cold
            return cls()
        cache.stored = set(cache.bodies)
        return cache

    @classmethod
    def _load(cls, folder: Path, key: bytes) -> BuildCache:
        tables, snapshot = cachefile.load(folder / CACHE_NAME, cache_version(), key)
        packed = dict(tables["sources"])
        sources = {rel: (m, s, unpack_source(p)) for rel, (m, s, p) in packed.items()}
        cache = cls(sources=sources, outputs=tables["outputs"], packed=packed, snapshot=snapshot)
        cache.bodies = BodyStore(folder, key, cache_version()).load_all()
        return cache

    def save(self, folder: Path, key: bytes) -> None:
        """Bodies go to SQLite and the rest to `cachefile`: both write only what changed."""
        folder.mkdir(parents=True, exist_ok=True)
        BodyStore(folder, key, cache_version()).update(self.bodies, self.stored)
        self.stored = set(self.bodies)
        tables: cachefile.Tables = {"sources": self.packed, "outputs": self.outputs}
        self.snapshot = cachefile.save(
            folder / CACHE_NAME, self.version, tables, self.snapshot, key
        )

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
            packed = pack_source(source)
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
        for packed, body, problems in parallel_map(_read_and_render, jobs):
            source = unpack_source(packed) if packed is not None else None
            if isinstance(source, SourceArticle) and body is not None:
                self.bodies[source.digest] = unpack_body(body)
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


@dataclass
class Resident:
    """What a long-running publisher keeps in memory between its publishes: the build
    cache, and the builder's and link check's results per article, so an unchanged
    article is the same object publish after publish (and its keys are not worked out
    again)."""

    cache: BuildCache | None = None
    build: Reuse = field(default_factory=Reuse)
    links: LinkReuse = field(default_factory=LinkReuse)
    templates: tuple[Path, str, Templates] | None = None  # (site root, templates stamp, env)
    walks: Walks = field(default_factory=Walks)  # the folders as last walked
    last_build: LastBuild | None = None  # what an edit may be built on (see `edits`)
    corrected: Corrected = field(default_factory=Corrected)  # see corrections.apply_from
    reads: Reads = field(default_factory=lambda: Reads())  # see read_incrementally
    rendered: Rendered | None = None  # the last render, for an edit to keep (see `plans`)
    manifest: KnownManifest | None = None  # the output manifest it committed (see writer)
    save_when_idle: bool = False  # leave the cache unsaved: `pipeline.save_cache` saves it
    # (cache folder, key, cache) of a publish whose cache is not saved yet
    unsaved: tuple[Path, bytes, BuildCache] | None = None
    recorded: str | None = None  # the inputs its last publish recorded (see `stamps`)

    def forget(self) -> None:
        """Start over (a forced or failed publish): nothing of the last one is trusted."""
        self.cache, self.build, self.links, self.templates = None, Reuse(), LinkReuse(), None
        self.walks.forget()
        self.last_build = None
        self.corrected = Corrected()
        self.reads = Reads()
        self.rendered = None
        self.manifest = None
        self.unsaved = None
        self.recorded = None

    def templates_for(self, root: Path, stamp: str) -> Templates:
        """The template environment of the last publish while no template changed: Jinja2
        compiles each template once per environment (~70 ms of bundled ones a publish)."""
        if self.templates is None or self.templates[:2] != (root, stamp):
            self.templates = (root, stamp, Templates(root / "templates"))
        return self.templates[2]


def cache_version() -> str:
    """Changes whenever the code that produces cached values changes, even without a release."""
    here = Path(__file__).parent
    core = ("reader.py", "fields.py", "validate.py", "yamlio.py", "markdown.py", "slug.py",
            "xmlchars.py", "model.py")  # fmt: skip
    engine = ("cache.py", "cachefile.py", "packing.py", "bodystore.py")
    files = [here.parent / name for name in core] + [here / name for name in engine]
    libraries = [version(name) for name in ("cmarkgfm", "nh3", "PyYAML")]
    return fingerprint(
        __version__, libraries, [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    )


class Reads:
    """A resident publisher's last read of the content folder, so that the next read,
    when the watcher's walk shows only a few files stat'ed again, looks at those only."""

    def __init__(self) -> None:
        self.entries: list[ContentEntry] = []  # the walk's entries, as last read
        self.found: list[Source | None] = []  # what each entry gave
        self.slots: list[int] = []  # each entry's place in `result.articles` (-1: none)
        self.result: ReadResult | None = None  # the last read (None: none kept)
        # (the read before, the articles read anew since): what an edit changed
        self.delta: tuple[ReadResult, list[SourceArticle]] | None = None


def read_incrementally(
    content_dir: Path,
    max_file_bytes: int,
    cache: BuildCache,
    walks: Walks | None = None,
    reads: Reads | None = None,
) -> ReadResult:
    """`reader.read_content`, taking unchanged files from the cache and reading the rest
    (with their bodies rendered) across cores; `walks` saves a resident publisher the walk,
    and `reads` (its last read) the look at every entry the walk did not stat again."""
    entries = None
    if walks is not None and content_dir.is_dir():
        folder = str(content_dir)
        entries = walks.walk("content", folder, lambda: content_entries(folder), restat_content)
        if reads is not None:
            again = _read_on(reads, entries, cache, max_file_bytes)
            if again is not None:
                return again
    result, found = _read_all(content_dir, max_file_bytes, cache, entries)
    if reads is not None:
        reads.delta, reads.result = None, None
        if entries is not None and not result.problems:  # then one source per entry
            reads.entries, reads.found, reads.slots = entries, found, _slots(found)
            reads.result = result
    return result


def _slots(found: list[Source | None]) -> list[int]:
    """Each entry's place in the articles `ReadResult.add` makes of `found` (-1: none)."""
    slots, n = [], 0
    for source in found:
        if isinstance(source, SourceArticle):
            slots.append(n)
            n += 1
        else:
            slots.append(-1)
    return slots


def _read_on(
    reads: Reads, entries: list[ContentEntry], cache: BuildCache, max_file_bytes: int
) -> ReadResult | None:
    """The read after the last one when the walk changed a few entries in place (the
    rest are the very same objects as then); None: read everything.

    The last read's lists are brought up to date in place, once every changed entry is
    read and found to be what it was (an article, or a section index): copying them cost
    ~10 ms an edit at 100,000 articles. From then on the last read is only a token that
    the edit's build compares by identity (`edits.LastBuild.read`), so nothing reads
    what it held."""
    last = reads.result
    if last is None or len(entries) != len(reads.entries):
        return None
    changed = list(compress(count(), map(is_not, entries, reads.entries)))
    if len(changed) * 8 > len(entries):
        return None
    stamps: dict[int, Stamp] = {}
    found: dict[int, Source | None] = {}
    for at in changed:
        _, key, stat = entries[at]
        if isinstance(stat, str):
            return None  # a problem to report: a whole read puts it in order
        stamps[at] = (key, *stat)
        found[at] = cache.get_source(*stamps[at])
    taken = time.time_ns()
    misses = [at for at in changed if found[at] is None]
    items = [(Path(entries[at][0]), Path(stamps[at][0]), section_of(Path(stamps[at][0])))
             for at in misses]  # fmt: skip
    for at, (source, problems) in zip(misses, cache.read_many(items, max_file_bytes), strict=True):
        if problems or source is None:
            return None
        found[at] = source
        if vouches(stamps[at][1], taken):
            cache.put_source(*stamps[at], source)
    if not all(_same_kind(found[at], reads.found[at]) for at in changed):
        return None  # an article became a section index, or the other way round
    sections, edited = dict(last.sections), []
    for at in changed:
        source, before = found[at], reads.found[at]
        last.stamps[at], reads.found[at] = stamps[at], source
        if isinstance(source, SourceArticle):
            last.articles[reads.slots[at]] = source
            if source is not before:
                edited.append(source)
        elif isinstance(source, SourceSection):
            sections[source.path] = source
    result = ReadResult(last.articles, sections, [], last.stamps)
    reads.entries, reads.result = entries, result
    reads.delta = (last, edited)
    return result


def _same_kind(source: Source | None, before: Source | None) -> bool:
    return (isinstance(source, SourceArticle) and isinstance(before, SourceArticle)) or (
        isinstance(source, SourceSection) and isinstance(before, SourceSection)
    )


def _read_all(
    content_dir: Path, max_file_bytes: int, cache: BuildCache, entries: list[ContentEntry] | None
) -> tuple[ReadResult, list[Source | None]]:
    """Every entry's stamp looked up in the cache, the misses read across cores; and
    what each stamped entry gave."""
    result = ReadResult([], {}, [])
    found: list[Source | None] = []
    misses: list[tuple[int, ReadItem, Stamp]] = []
    taken = time.time_ns()
    for full, stamp in stat_content(content_dir, result, entries):
        found.append(cache.get_source(*stamp))
        if found[-1] is None:
            rel = Path(stamp[0])
            misses.append((len(found) - 1, (Path(full), rel, section_of(rel)), stamp))
    parsed = cache.read_many([item for _, item, _ in misses], max_file_bytes)
    for (index, _, stamp), (source, problems) in zip(misses, parsed, strict=True):
        result.problems.extend(problems)
        found[index] = source
        # A file changed in the tick it was read in may change again unstamped: read
        # it again next time rather than trust its (mtime, size).
        if source is not None and vouches(stamp[1], taken):
            cache.put_source(*stamp, source)
    result.add(found)
    return result, found


def restat_content(entry: tuple[Any, ...]) -> ContentEntry | None:
    full, key = entry[0], entry[1]
    return stat_entry(full, key) if os.path.lexists(full) else None


def _read_and_render(
    job: tuple[Path, Path, str, int],
) -> tuple[Packed | None, Packed | None, list[Problem]]:
    """Read one file in a worker. Results travel packed into plain tuples: the parent
    unpickles those ~4x faster than the records, and it does so for every article."""
    source, problems = read_one(*job)
    if source is None:
        return None, None, problems
    if not isinstance(source, SourceArticle):
        return pack_source(source), None, problems
    return pack_source(source), pack_body(render_body(source.body)), problems

"""When each article's content last changed without its `updated:` changing: corrections.

An editor who fixes a figure in a story and forgets `updated:` has still corrected it,
and readers and partners must be able to tell (Atom `updated`, JSON Feed
`date_modified`, sitemap `lastmod`, JSON-LD `dateModified`). The time such a change was
first published is delivery state, like the push outbox: it lives under `state_dir`
(deleting the build cache must not move it) behind the small `Revisions` interface: a
SQLite file there, or PostgreSQL with the other delivery stores when `state_url` is set
(`stores.open_revisions`, `pg_corrections`).

Decided before rendering (read only), recorded after the new output is live: a publish
that fails records nothing, and the next one dates the change again.

A long-running publisher (`apply_from` with a `Corrected` memo) keeps the rows it read:
each save bumps the store's generation and writes it into the rows it saves, so the
next publish reads only the rows written since (by any process or host), and looks
again only at those rows' articles and the ones the edit swapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ..config import Config
from ..model import Article, Site
from .sqlite import connect, transaction

MIGRATIONS = (
    """
    CREATE TABLE revisions (
        uid TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        declared TEXT,          -- the front matter's `updated`, as published
        changed_at TEXT         -- when content last changed with `updated` unchanged
    )
    """,
    """
    ALTER TABLE revisions ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX revisions_by_generation ON revisions (generation);
    CREATE TABLE revisions_log (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        store TEXT NOT NULL,        -- random: a store made anew is another store
        generation INTEGER NOT NULL -- bumped by each save, which writes it into its rows
    );
    INSERT INTO revisions_log (id, store, generation) VALUES (1, lower(hex(randomblob(16))), 0)
    """,
)


@dataclass(frozen=True, slots=True)
class Revision:
    uid: str
    content_hash: str
    declared: str | None  # ISO `updated:` from the front matter, if any
    changed_at: str | None  # ISO time of the last undeclared change, if any


Mark = tuple[str, int]  # (the store's random id, its generation): where a reader stands


@dataclass(frozen=True, slots=True)
class Changes:
    """Rows written after a `Mark`, and the mark to read on from next time."""

    rows: Mapping[str, Revision]
    mark: Mark
    whole: bool  # `rows` is every row: no mark, or one of another store (or its past)


class Revisions(Protocol):
    """What the pipeline needs from the store: read everything (or what was written
    since a mark), write what changed."""

    def load(self) -> Mapping[str, Revision]: ...

    def changes(self, since: Mark | None) -> Changes: ...

    def save(self, revisions: Iterable[Revision]) -> Mark | None:
        """Write the records; the mark they were written at (None: nothing to write)."""
        ...

    def close(self) -> None: ...


class SqliteRevisions:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, migrations=MIGRATIONS)

    def load(self) -> Mapping[str, Revision]:
        rows = self._conn.execute("SELECT uid, content_hash, declared, changed_at FROM revisions")
        return {row[0]: Revision(*row) for row in rows}

    def changes(self, since: Mark | None) -> Changes:
        self._conn.execute("BEGIN")  # one snapshot for the mark and the rows (WAL)
        try:
            store, generation = self._conn.execute(
                "SELECT store, generation FROM revisions_log"
            ).fetchone()
            whole = not reads_on(since, store, generation)
            after = -1 if whole or since is None else since[1]
            rows = self._conn.execute(
                "SELECT uid, content_hash, declared, changed_at FROM revisions "
                "WHERE generation > ?",
                (after,),
            )
            found = {row[0]: Revision(*row) for row in rows}
        finally:
            self._conn.execute("COMMIT")
        return Changes(found, (store, generation), whole)

    def save(self, revisions: Iterable[Revision]) -> Mark | None:
        rows = [(r.uid, r.content_hash, r.declared, r.changed_at) for r in revisions]
        if not rows:
            return None
        with transaction(self._conn) as conn:  # BEGIN IMMEDIATE: one saver at a time
            conn.execute("UPDATE revisions_log SET generation = generation + 1")
            store, generation = conn.execute(
                "SELECT store, generation FROM revisions_log"
            ).fetchone()
            conn.executemany(
                "INSERT INTO revisions (uid, content_hash, declared, changed_at, generation) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
                "content_hash = excluded.content_hash, declared = excluded.declared, "
                "changed_at = excluded.changed_at, generation = excluded.generation",
                [(*row, generation) for row in rows],
            )
        return str(store), int(generation)

    def close(self) -> None:
        self._conn.close()


def reads_on(since: Mark | None, store: str, generation: int) -> bool:
    """Whether a reader at `since` may read on with the rows written after it: the same
    store, not gone back in time (a store restored from a copy older than the mark)."""
    return since is not None and since[0] == store and since[1] <= generation


def store_path(state_dir: Path) -> Path:
    return state_dir / "corrections" / "revisions.sqlite3"


def revise(article: Article, last: Revision | None, now: datetime) -> Revision:
    """This publish's record of `article`, given the last one published."""
    declared = article.updated.isoformat() if article.updated else None
    changed_at = last.changed_at if last is not None else None
    if last is not None and last.declared != declared:
        changed_at = None  # the editor dated this version: theirs stands
    elif last is not None and last.content_hash != article.content_hash:
        changed_at = now.isoformat()
    return Revision(article.uid, article.content_hash, declared, changed_at)


def corrected(article: Article, revision: Revision) -> Article:
    """`article` with the time of its last undeclared change as its `updated`."""
    if revision.changed_at is None:
        return article
    changed = datetime.fromisoformat(revision.changed_at)
    if changed <= article.modified:
        return article
    zone = article.published.tzinfo
    return replace(article, updated=changed.astimezone(zone) if zone else changed)


class Corrected:
    """A long-running publisher's memo of `apply_from` (an empty one: a fresh process).

    Each article's record and corrected version (an article and record that did not
    change give the same object as last time), the store's rows as last read and the
    mark they were read up to, and the last site corrected with its result: a publish
    after an edit looks again only at the articles swapped since, the rows written since,
    and the articles whose record differs from the store's (dated "now": each publish
    dates them again until one is saved).
    """

    def __init__(self) -> None:
        self.articles: dict[str, tuple[Article, Revision, Article]] = {}  # by uid
        self.rows: dict[str, Revision] = {}  # the store's, by uid
        self.mark: Mark | None = None
        self.last: tuple[object, object, Site] | None = None  # (version, layout, result)
        self.pending: dict[str, str] = {}  # uid -> slug: record differs from the row

    def saved(self, revisions: list[Revision], mark: Mark | None) -> None:
        """This process saved `revisions` (the pending records) at `mark`. When no other
        saver wrote since the rows last read, they are the store's rows now and the mark
        moves past them: the next publish does not read back its own records (after a
        first publish, every article's: ~1 s of the first edit at 100,000 articles)."""
        last = self.mark
        if mark is None or last is None or last[0] != mark[0] or mark[1] != last[1] + 1:
            return  # someone else wrote too: the next read takes theirs and ours
        for revision in revisions:
            self.rows[revision.uid] = revision
            kept = self.articles.get(revision.uid)
            if kept is not None and kept[1] == revision:
                self.pending.pop(revision.uid, None)
        self.mark = mark

    def one(self, article: Article, last: Revision | None, now: datetime) -> Article:
        """`article` corrected, keeping its record (pending when not what `last` says)."""
        revision = revise(article, last, now)
        kept = self.articles.get(article.uid)
        if kept is None or kept[0] is not article or kept[1] != revision:
            kept = self.articles[article.uid] = (article, revision, corrected(article, revision))
        if revision != last:
            self.pending[article.uid] = article.slug
        else:
            self.pending.pop(article.uid, None)
        return kept[2]


def apply(
    site: Site, known: Mapping[str, Revision], now: datetime, reuse: Corrected | None = None
) -> tuple[Site, list[Revision]]:
    """The site with corrected `updated` times, and the records that changed.

    `reuse` (a long-running publisher's) keeps each corrected article, so an article
    and record that did not change give the same object as last time."""
    memo = reuse if reuse is not None else Corrected()
    memo.pending = {}
    articles = [memo.one(article, known.get(article.uid), now) for article in site.articles]
    # Only `updated` changes, which orders no list: every article keeps its place.
    swapped = {a.slug: a for a, b in zip(articles, site.articles, strict=True) if a is not b}
    result = site.replacing(swapped)
    memo.last = (site.version(), site.layout(), result)
    changed = [memo.articles[uid][1] for uid in memo.pending]  # in the order of the site
    return result, changed


def apply_from(
    site: Site, store: Revisions, now: datetime, memo: Corrected
) -> tuple[Site, list[Revision]]:
    """`apply` with the store's rows, reading only those written since `memo`'s last read,
    and, when `site` is the last site corrected with a few articles swapped, looking
    again only at those, at the articles of the rows written since, and at the pending."""
    found = store.changes(memo.mark)
    if found.whole:
        memo.rows = dict(found.rows)
    else:
        memo.rows.update(found.rows)
    memo.mark = found.mark
    last = memo.last
    changed = site.changed_since(last[0]) if last is not None and not found.whole else None
    if last is None or changed is None or site.layout() is not last[1]:
        return apply(site, memo.rows, now, memo)
    for uid, slug in list(memo.pending.items()):  # a record only for an article still here
        if (article := site.by_slug.get(slug)) is None or article.uid != uid:
            del memo.pending[uid]
    slugs = set(changed).union(memo.pending.values())
    slugs.update(memo.articles[uid][0].slug for uid in found.rows if uid in memo.articles)
    swapped = {}
    for slug in slugs:  # every slug of the site: the layout is the last one's
        article = site.by_slug.get(slug)
        if article is not None:
            swapped[slug] = memo.one(article, memo.rows.get(article.uid), now)
    result = last[2].replacing(swapped)
    memo.last = (site.version(), last[1], result)
    where = site.position
    ordered = sorted(memo.pending, key=lambda uid: where(memo.pending[uid]))
    return result, [memo.articles[uid][1] for uid in ordered]


def open_revisions(where: Config | Path) -> Revisions:
    """The store for a site: PostgreSQL when its `state_url` is set, else SQLite.

    Given a bare `state_dir` (as older callers pass it), always the SQLite file there.
    """
    if isinstance(where, Path):
        return SqliteRevisions(store_path(where))
    from .stores import open_revisions as open_for_config

    return open_for_config(where, store_path(where.state_dir))


__all__ = [
    "Changes",
    "Corrected",
    "Revision",
    "Revisions",
    "SqliteRevisions",
    "apply",
    "apply_from",
    "open_revisions",
]

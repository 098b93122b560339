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
)


@dataclass(frozen=True, slots=True)
class Revision:
    uid: str
    content_hash: str
    declared: str | None  # ISO `updated:` from the front matter, if any
    changed_at: str | None  # ISO time of the last undeclared change, if any


class Revisions(Protocol):
    """What the pipeline needs from the store: read everything, write what changed."""

    def load(self) -> Mapping[str, Revision]: ...

    def save(self, revisions: Iterable[Revision]) -> None: ...

    def close(self) -> None: ...


class SqliteRevisions:
    def __init__(self, path: Path) -> None:
        self._conn = connect(path, migrations=MIGRATIONS)

    def load(self) -> Mapping[str, Revision]:
        rows = self._conn.execute("SELECT uid, content_hash, declared, changed_at FROM revisions")
        return {row[0]: Revision(*row) for row in rows}

    def save(self, revisions: Iterable[Revision]) -> None:
        with transaction(self._conn) as conn:
            conn.executemany(
                "INSERT INTO revisions (uid, content_hash, declared, changed_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
                "content_hash = excluded.content_hash, declared = excluded.declared, "
                "changed_at = excluded.changed_at",
                [(r.uid, r.content_hash, r.declared, r.changed_at) for r in revisions],
            )

    def close(self) -> None:
        self._conn.close()


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


Corrected = dict[str, tuple[Article, Revision, Article]]  # uid -> (article, record, corrected)


def apply(
    site: Site, known: Mapping[str, Revision], now: datetime, reuse: Corrected | None = None
) -> tuple[Site, list[Revision]]:
    """The site with corrected `updated` times, and the records that changed.

    `reuse` (a long-running publisher's) keeps each corrected article, so an article
    and record that did not change give the same object as last time."""
    reuse = reuse if reuse is not None else {}
    articles = []
    changed = []
    for article in site.articles:
        last = known.get(article.uid)
        revision = revise(article, last, now)
        if revision != last:
            changed.append(revision)
        kept = reuse.get(article.uid)
        if kept is None or kept[0] is not article or kept[1] != revision:
            kept = reuse[article.uid] = (article, revision, corrected(article, revision))
        articles.append(kept[2])
    # Only `updated` changes, which orders no list: every article keeps its place.
    swapped = {a.slug: a for a, b in zip(articles, site.articles, strict=True) if a is not b}
    return site.replacing(swapped), changed


def open_revisions(where: Config | Path) -> Revisions:
    """The store for a site: PostgreSQL when its `state_url` is set, else SQLite.

    Given a bare `state_dir` (as older callers pass it), always the SQLite file there.
    """
    if isinstance(where, Path):
        return SqliteRevisions(store_path(where))
    from .stores import open_revisions as open_for_config

    return open_for_config(where, store_path(where.state_dir))


__all__ = ["Revision", "Revisions", "SqliteRevisions", "apply", "open_revisions"]

"""Rendered bodies by content digest, in SQLite: written row by row, read lazily."""

from __future__ import annotations

import hmac
import json
import os
import sqlite3
from functools import partial
from pathlib import Path

from ..errors import CacheError
from ..markdown import RenderedBody
from ..model import Body, Heading
from . import cachefile
from .packing import pack_body

BODIES_PREFIX = "bodies-"


class BodyStore:
    """Rendered bodies by content digest, in SQLite: written row by row, read lazily.

    Loading reads every body's lede, word count and sizes but not its HTML and
    subheadings: those are fetched when a channel first reads them, over one connection
    per process (forked workers open their own). Each row carries two keyed digests, one
    for what loading reads and one for what fetching reads, so a row planted or altered
    in the cache folder is never published: loading skips it (the body is rendered
    again), fetching refuses it.
    """

    def __init__(self, folder: Path, key: bytes, version: str) -> None:
        self.path = folder / f"{BODIES_PREFIX}{version}.sqlite3"
        self.folder = folder
        self.key = key
        self._readers: dict[int, sqlite3.Connection] = {}

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute(
            # HTML last: columns after it would sit behind its overflow pages.
            "CREATE TABLE IF NOT EXISTS bodies (digest TEXT PRIMARY KEY, headings TEXT, "
            "first TEXT, words INTEGER, size INTEGER, markup INTEGER, links INTEGER, "
            "targets TEXT, summary_mac BLOB, html_mac BLOB, html TEXT)"
        )
        return conn

    def _summary_mac(
        self, digest: str, first: str, words: int, sizes: tuple[int, ...], targets: str
    ) -> bytes:
        numbers = repr((words, sizes)).encode()
        return cachefile.sign(self.key, digest.encode(), first.encode(), numbers, targets.encode())

    def _html_mac(self, digest: str, html: str, headings: str) -> bytes:
        return cachefile.sign(self.key, digest.encode(), html.encode(), headings.encode())

    def load_all(self) -> dict[str, RenderedBody]:
        if not self.path.exists():
            return {}
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT digest, first, words, size, markup, links, targets, summary_mac FROM bodies"
            )
            return {
                digest: RenderedBody(
                    Body(
                        fetch=partial(self.fetch, digest),
                        size=size,
                        markup=markup,
                        links=links,
                        targets=tuple(tuple(t) for t in json.loads(targets)),
                    ),
                    first,
                    words,
                )
                for digest, first, words, size, markup, links, targets, mac in rows
                if isinstance(mac, bytes)
                and isinstance(targets, str)
                and hmac.compare_digest(
                    mac, self._summary_mac(digest, first, words, (size, markup, links), targets)
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
            self.path.unlink(missing_ok=True)
            raise CacheError(f"{self.path}: a rendered body was altered outside syndicate")
        if not rows:
            self.path.unlink(missing_ok=True)  # the next publish renders every body again
            raise CacheError(
                f"{self.path}: the build cache lost a rendered body (deleted during the publish?)"
            )
        html, headings, _ = rows[0]
        return html, tuple(Heading(*h) for h in json.loads(headings))

    def _signed(self, digest: str, html: object, headings: object, mac: object) -> bool:
        if not (isinstance(html, str) and isinstance(headings, str) and isinstance(mac, bytes)):
            return False
        return hmac.compare_digest(mac, self._html_mac(digest, html, headings))

    def update(self, bodies: dict[str, RenderedBody], stored: set[str]) -> None:
        for stale in self.folder.glob(f"{BODIES_PREFIX}*.sqlite3"):
            if stale != self.path:
                stale.unlink()
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self._row(digest, b) for digest, b in bodies.items() if digest not in stored],
            )
            conn.executemany(
                "DELETE FROM bodies WHERE digest = ?", [(d,) for d in stored - bodies.keys()]
            )
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _row(self, digest: str, rendered: RenderedBody) -> tuple[object, ...]:
        html, headings, first, words, size, markup, links, targets = pack_body(rendered)
        heads, links_to = json.dumps(headings), json.dumps(targets)
        return (digest, heads, first, words, size, markup, links, links_to,
                self._summary_mac(digest, first, words, (size, markup, links), links_to),
                self._html_mac(digest, html, heads), html)  # fmt: skip

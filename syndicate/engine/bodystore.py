"""Rendered bodies by content digest, in SQLite: written row by row, read lazily."""

from __future__ import annotations

import json
import os
import sqlite3
from functools import partial
from hmac import compare_digest
from pathlib import Path
from typing import Any

from ..errors import CacheError
from ..markdown import RenderedBody
from ..model import Body, Heading
from . import cachefile
from .packing import pack_body

BODIES_PREFIX = "bodies-"
# What the keyed digests of the two kinds of row are made apart with (`cachefile.hasher`).
_SUMMARY, _HTML = b"body-summary", b"body-html"

Row = tuple[object, ...]
# (digest, first paragraph, word count, size, markup, links, targets) per body
Summaries = tuple[tuple[Any, ...], ...]


class BodyStore:
    """Rendered bodies by content digest, in SQLite: written row by row, read lazily.

    Loading reads every body's summary (lede, word count, sizes, link targets) but not
    its HTML and subheadings: those are fetched when a channel first reads them, over one
    connection per process (forked workers open their own). Summaries sit in a table of
    their own, so loading reads a few megabytes rather than a page per body.

    Each summary and each HTML row carries a keyed digest (`cachefile.sign`, made apart
    for each kind by `person`), so a row planted or altered in the cache folder is never
    published: loading skips it (the body is rendered again), fetching refuses it.
    """

    def __init__(self, folder: Path, key: bytes, version: str) -> None:
        self.path = folder / f"{BODIES_PREFIX}{version}.sqlite3"
        self.folder = folder
        self.key = key
        self._readers: dict[int, sqlite3.Connection] = {}

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS summaries "
            "(digest TEXT PRIMARY KEY, summary BLOB, mac BLOB) WITHOUT ROWID"
        )
        # HTML last: columns after it would sit behind its overflow pages.
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bodies "
            "(digest TEXT PRIMARY KEY, headings TEXT, html_mac BLOB, html TEXT)"
        )
        return conn

    def _html_mac(self, digest: str, html: str, headings: str) -> bytes:
        parts = (digest.encode(), html.encode(), headings.encode())
        return cachefile.sign(self.key, *parts, person=_HTML)

    def load_all(self) -> dict[str, RenderedBody]:
        """Every body whose summary carries this site's keyed digest, its HTML unread."""
        if not self.path.exists():
            return {}
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT summary, mac FROM summaries "
                "WHERE typeof(summary) = 'blob' AND typeof(mac) = 'blob'"
            ).fetchall()
        finally:
            conn.close()
        fetch = self.fetch
        return {
            digest: RenderedBody(
                Body(fetch=partial(fetch, digest), size=size, markup=markup, links=links,
                     targets=targets),
                first,
                words,
            )
            for digest, first, words, size, markup, links, targets in _verified(self.key, rows)
        }  # fmt: skip

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
        return compare_digest(mac, self._html_mac(digest, html, headings))

    def update(self, bodies: dict[str, RenderedBody], stored: set[str]) -> None:
        for stale in self.folder.glob(f"{BODIES_PREFIX}*.sqlite3"):
            if stale != self.path:
                stale.unlink()
        rows = [self._rows(digest, b) for digest, b in bodies.items() if digest not in stored]
        gone = [(d,) for d in stored - bodies.keys()]
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?)",
                             [summary for summary, _ in rows])  # fmt: skip
            conn.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                             [html for _, html in rows])  # fmt: skip
            conn.executemany("DELETE FROM summaries WHERE digest = ?", gone)
            conn.executemany("DELETE FROM bodies WHERE digest = ?", gone)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _rows(self, digest: str, rendered: RenderedBody) -> tuple[Row, Row]:
        """A body's summary row and HTML row, each with its keyed digest."""
        html, headings, first, words, size, markup, links, targets = pack_body(rendered)
        summary = cachefile.pack((digest, first, words, size, markup, links, targets))
        heads = json.dumps(headings)
        return (
            (digest, summary, cachefile.hasher(self.key, _SUMMARY)(summary).digest()),
            (digest, heads, self._html_mac(digest, html, heads), html),
        )


def _verified(key: bytes, rows: list[tuple[bytes, bytes]]) -> Summaries:
    """The summaries among `rows` that carry `key`'s digest, decoded.

    One keyed BLAKE2b call per row checks it; the checked rows are then decoded in one
    msgpack call, as one array (each is one value: `_rows` packed it), rather than one
    call per row.
    """
    keyed = cachefile.hasher(key, _SUMMARY)
    signed = [summary for summary, mac in rows if compare_digest(mac, keyed(summary).digest())]
    return cachefile.unpack(b"\xdd" + len(signed).to_bytes(4, "big") + b"".join(signed))  # type: ignore[no-any-return]

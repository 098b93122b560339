"""QR images for print, kept in a content-addressed cache between publishes.

The key is everything the images depend on (encoded text, error correction, size,
dpi), so a hit is always right and `render_article` stays a pure function: an unchanged
URL is never encoded or rasterised again, even after a restart.

The cache is one SQLite file rather than two files per article: on a cold publish of
10,000 articles, creating 20,000 small files (plus their temporary names) cost more
than the encoding it saved. SQLite in WAL mode also lets the forked render workers
insert at the same time. It is disposable: a damaged, locked or missing database only
costs encoding time, never a publish, so writes are not synced and errors are ignored.

New codes are written in batches, one transaction each: a transaction per code cost
more than half of what the cache added to a cold publish, mostly in the workers waiting
for each other's write lock (SQLite's busy handler sleeps 1-5 ms at a time).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path

from syndicate import qr
from syndicate.errors import ChannelError
from syndicate.qr import ErrorCorrection, Run

CACHE_FORMAT = 3  # bump when the cached bytes would change for the same key
DB_NAME = "qr.sqlite3"
_RUN = re.compile(r"M(\d+) (\d+)h(\d+)")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS qr (key TEXT PRIMARY KEY, text TEXT NOT NULL,"
    " modules INTEGER NOT NULL, path TEXT NOT NULL, png BLOB NOT NULL)"
)
_DAMAGED = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
_OPEN_ATTEMPTS = 3
_BUSY_MS = 5000  # workers' inserts are tiny; a longer wait would cost more than encoding
WRITE_BATCH = 64  # new codes per transaction; the tail is written by `flush`
_INSERT = "INSERT OR REPLACE INTO qr (key, text, modules, path, png) VALUES (?, ?, ?, ?, ?)"
# Connections a forked child inherited: never used or closed there (SQLite forbids
# carrying a connection across fork), only kept referenced so they are not finalised.
_INHERITED: list[sqlite3.Connection] = []


class QrSizeError(ChannelError):
    """The printed size at this dpi has fewer pixels than the code has modules."""


@dataclass(frozen=True, slots=True)
class QrArt:
    """One encoded code: what every output (SVG, PNG, snippet, PDF) is drawn from."""

    text: str
    modules: int  # width in modules, quiet zone included
    path: str  # SVG path data of the dark modules, in module units (see qr.runs_path)
    png: bytes

    def svg(self, size: str | None = None, title: str | None = None) -> str:
        return qr.svg_document(self.modules, self.path, size=size, title=title)

    def runs(self) -> list[Run]:
        """The dark runs again, for drawing with rectangles (PDF)."""
        return [(int(x), int(y), int(w)) for x, y, w in _RUN.findall(self.path)]


@dataclass(frozen=True)
class QrSpec:
    error_correction: ErrorCorrection
    size_mm: float
    dpi: int

    def key(self, text: str) -> str:
        raw = f"{CACHE_FORMAT}\0{self.error_correction}\0{self.size_mm:g}\0{self.dpi}\0{text}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class QrImages:
    """Encodes on a miss, reads `cache_dir`/qr.sqlite3 on a hit (no folder: no cache).

    The connection is opened lazily by each process that uses it: `get` runs in forked
    render workers, and a SQLite connection must not cross a fork. New codes wait in
    `_pending` until a batch is full, `flush` is called, this object is collected or the
    process ends (forked workers skip `atexit`, but run multiprocessing's finalizers).
    """

    def __init__(self, spec: QrSpec, cache_dir: Path | None) -> None:
        self.spec = spec
        self.cache_dir = cache_dir
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None  # the process `_conn` belongs to (None: not opened)
        self._failed = (0, 0)  # (pid, failed opens in that process)
        self._pending: dict[str, QrArt] = {}  # key -> code not written yet
        self._pending_pid: int | None = None  # the process that owns `_pending`

    @property
    def db_path(self) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / DB_NAME

    def get(self, text: str) -> QrArt:
        key = self.spec.key(text)
        # A code still waiting to be written (by this process, or by the parent before a
        # fork) is as good as a stored one: the key covers everything it depends on.
        cached = self._pending.get(key) or self._read(key, text)
        if cached is not None:
            return cached
        art = self._encode(text)
        self._write(key, art)
        return art

    def flush(self) -> None:
        """Write the codes this process encoded since the last batch, now."""
        if self._pending_pid == os.getpid() and self._conn is not None:
            _insert(self._conn, self._pending)

    def _encode(self, text: str) -> QrArt:
        spec = self.spec
        matrix = qr.qr_matrix(text, spec.error_correction)
        size_px = qr.png_pixels(spec.size_mm, spec.dpi)
        if size_px < len(matrix):
            raise QrSizeError(
                f"print: a {spec.size_mm:g} mm code at {spec.dpi} dpi is {size_px} pixels, "
                f"fewer than its {len(matrix)} modules: raise size_mm or dpi"
            )
        png = qr.matrix_png(matrix, size_px=size_px, dpi=spec.dpi)
        return QrArt(text, len(matrix), qr.svg_path(matrix), png)

    def _connection(self, create: bool = True) -> sqlite3.Connection | None:
        """This process's connection, opened on first use; None when there is no cache."""
        pid = os.getpid()
        if self._pid == pid:
            return self._conn
        if self._conn is not None:
            _INHERITED.append(self._conn)  # opened by the parent before the fork
            self._conn = None
        path = self.db_path
        if path is None or (not create and not path.is_file()):
            return None
        conn = _open_or_recreate(path)
        if conn is None:  # e.g. locked while another worker creates it: retry a few times,
            failed = self._failed[1] + 1 if self._failed[0] == pid else 1
            self._failed = (pid, failed)  # then run this process without a cache
            if failed >= _OPEN_ATTEMPTS:
                self._pid = pid
            return None
        self._conn, self._pid = conn, pid
        return conn

    def _read(self, key: str, text: str) -> QrArt | None:
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT text, modules, path, png FROM qr WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        stored, modules, path, png = row
        # A hash clash or a damaged row: encode afresh (the write replaces it).
        if stored != text or not isinstance(modules, int) or modules <= 0:
            return None
        if not isinstance(path, str) or not isinstance(png, bytes) or not png:
            return None
        return QrArt(text, modules, path, png)

    def _write(self, key: str, art: QrArt) -> None:
        conn = self._connection()  # when not None, `_pid` is this process
        if conn is None:
            return
        if self._pending_pid != self._pid:
            # This process's first new code. A forked worker starts a queue of its own:
            # what it inherited is the parent's to write, with the parent's connection.
            self._pending = {}
            self._pending_pid = self._pid
            Finalize(self, _insert, args=(conn, self._pending), exitpriority=0)
        self._pending[key] = art
        if len(self._pending) >= WRITE_BATCH:
            _insert(conn, self._pending)

    def prune(self, keep_texts: Iterable[str]) -> int:
        """Delete entries no article needs any more; returns how many were removed."""
        self.flush()
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return 0
        keep = [(self.spec.key(text),) for text in keep_texts]
        removed = _remove_old_layout(self.cache_dir)
        conn = self._connection(create=False)
        if conn is None:
            return removed
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                conn.execute("DELETE FROM temp.keep")
                conn.executemany("INSERT OR IGNORE INTO temp.keep (key) VALUES (?)", keep)
                deleted = conn.execute(
                    "DELETE FROM qr WHERE key NOT IN (SELECT key FROM temp.keep)"
                ).rowcount
                conn.execute("DELETE FROM temp.keep")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error:
            return removed  # a cache that cannot be pruned now is pruned next time
        return removed + max(deleted, 0)


def _insert(conn: sqlite3.Connection, pending: dict[str, QrArt]) -> None:
    """Write and empty `pending` (kept: the finalizer holds this very dict)."""
    if not pending:
        return
    rows = [(key, a.text, a.modules, a.path, a.png) for key, a in pending.items()]
    pending.clear()
    # Locked too long, disk full, damaged: cache misses next time, nothing worse.
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:
        return
    try:
        conn.executemany(_INSERT, rows)
        conn.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _open(path: Path) -> sqlite3.Connection:
    """A WAL connection that never syncs (the cache is disposable), schema in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=_BUSY_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        conn.execute("PRAGMA journal_mode=WAL")  # the first read: fails on a non-database
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


def _open_or_recreate(path: Path) -> sqlite3.Connection | None:
    """Open the cache; a file that is no database (garbage, truncated) is replaced."""
    try:
        return _open(path)
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode not in _DAMAGED:
            return None
    except OSError:
        return None
    try:
        for stale in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            stale.unlink(missing_ok=True)
        return _open(path)
    except (OSError, sqlite3.Error):
        return None


def _remove_old_layout(cache_dir: Path) -> int:
    """Delete the files of the format-2 cache (<key>.json + <key>.png per entry, and
    interrupted `.tmp-*` writes); returns how many entries that was."""
    removed = 0
    try:
        for path in cache_dir.iterdir():
            if path.suffix in (".json", ".png") or path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
                removed += path.suffix == ".json"
    except OSError:
        pass
    return removed

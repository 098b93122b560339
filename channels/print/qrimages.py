"""QR images for print, kept in a content-addressed cache between publishes.

The key is everything the images depend on (encoded text, error correction, size,
dpi), so a hit is always right and `render_article` stays a pure function: an unchanged
URL is never encoded or rasterised again, even after a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from syndicate import qr
from syndicate.errors import ChannelError
from syndicate.qr import ErrorCorrection, Run

CACHE_FORMAT = 2  # bump when the cached bytes would change for the same key
_RUN = re.compile(r"M(\d+) (\d+)h(\d+)")


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
    """Encodes on a miss, reads `cache_dir` on a hit (no folder: encode every time)."""

    def __init__(self, spec: QrSpec, cache_dir: Path | None) -> None:
        self.spec = spec
        self.cache_dir = cache_dir

    def get(self, text: str) -> QrArt:
        key = self.spec.key(text)
        cached = self._read(key, text)
        if cached is not None:
            return cached
        art = self._encode(text)
        self._write(key, art)
        return art

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

    def _paths(self, key: str) -> tuple[Path, Path]:
        assert self.cache_dir is not None
        return self.cache_dir / f"{key}.json", self.cache_dir / f"{key}.png"

    def _read(self, key: str, text: str) -> QrArt | None:
        if self.cache_dir is None:
            return None
        meta_path, png_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            png = png_path.read_bytes()
            if meta["text"] != text:  # a hash clash or a damaged file: encode afresh
                return None
            return QrArt(text, int(meta["modules"]), str(meta["path"]), png)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write(self, key: str, art: QrArt) -> None:
        if self.cache_dir is None:
            return
        meta = {"text": art.text, "modules": art.modules, "path": art.path}
        meta_path, png_path = self._paths(key)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            # PNG first: a reader trusts an entry only once its JSON is there.
            _atomic_write(png_path, art.png)
            _atomic_write(meta_path, json.dumps(meta, separators=(",", ":")).encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def prune(self, keep_texts: Iterable[str]) -> int:
        """Delete entries no article needs any more; returns how many were removed."""
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return 0
        keep = {self.spec.key(text) for text in keep_texts}
        removed = 0
        for path in self.cache_dir.iterdir():
            stem = path.name.partition(".")[0]
            if path.suffix in (".json", ".png") and stem not in keep:
                path.unlink(missing_ok=True)
                removed += path.suffix == ".json"
        return removed


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

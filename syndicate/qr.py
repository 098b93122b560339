"""QR codes for article URLs, shared by every channel that prints or shows one.

Why not qrcode's own image factories: they try all eight masks (~5-15 ms a code) and
build an element per module. We fix the mask (every mask decodes, the search only picks
the prettiest), encode with our own cached-layout encoder (`syndicate.qrencode`, >10x
faster than qrcode with the same matrix) and draw one SVG path, so a 10,000-article site
stays fast.
"""

from __future__ import annotations

import re
import struct
import zlib
from functools import lru_cache
from itertools import accumulate, chain, islice

from syndicate.qrencode import ErrorCorrection as ErrorCorrection
from syndicate.qrencode import Matrix as Matrix
from syndicate.qrencode import QrDataTooLongError as QrDataTooLongError
from syndicate.qrencode import encode

QUIET_ZONE = 4  # modules of white border the QR specification requires

Run = tuple[int, int, int]  # (x, y, width) of a horizontal run of dark modules
_DARK_RUN = re.compile(b"\x01+")
_TABLE_SIZE = 512  # > 177 modules of a version 40 code plus generous quiet zones
_MOVES = tuple(f"M{x} " for x in range(_TABLE_SIZE))
_NUMBERS = tuple(str(y) for y in range(_TABLE_SIZE))
_TAILS = tuple(f"h{w}v1h-{w}z" for w in range(_TABLE_SIZE))


@lru_cache(maxsize=4096)
def qr_matrix(
    data: str, error_correction: ErrorCorrection = "M", border: int = QUIET_ZONE
) -> Matrix:
    """The module grid (True = dark), quiet zone included.

    The same grid `qrcode` makes with `mask_pattern=0` (tests compare the two); text too
    long for a version 40 symbol raises `QrDataTooLongError`, a ValueError.
    """
    return encode(data, error_correction, border)


def matrix_runs(matrix: Matrix) -> tuple[Run, ...]:
    """Horizontal runs of dark modules: a compact form to draw (SVG, PDF) or cache."""
    return tuple(
        (run.start(), y, run.end() - run.start())
        for y, row in enumerate(matrix)
        for run in _DARK_RUN.finditer(bytes(row))
    )


def runs_path(runs: tuple[Run, ...] | list[Run]) -> str:
    """SVG path data for runs, in module units.

    A code has hundreds of runs, so the numbers come from tables of ready strings and
    one join, not an f-string per run (half the cost of drawing an inline SVG).
    """
    if not runs:
        return ""
    xs, ys, widths = zip(*runs, strict=True)
    numbers = xs + ys + widths
    if min(numbers) < 0 or max(numbers) >= _TABLE_SIZE:
        return "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs)
    moves = map(_MOVES.__getitem__, xs)
    rows = map(_NUMBERS.__getitem__, ys)
    tails = map(_TAILS.__getitem__, widths)
    return "".join(chain.from_iterable(zip(moves, rows, tails, strict=True)))


def svg_path(matrix: Matrix) -> str:
    """One path of horizontal runs of dark modules, in module units (as `runs_path`).

    The print channel draws one per article, so the runs are found in C: a regex split
    of all rows at once, their running lengths giving each run's start, and ready
    strings for "M{x} {y}" and the rest: ~1.5x faster than `runs_path(matrix_runs(m))`.
    """
    size = len(matrix)
    if size > _LARGEST_SYMBOL:
        return runs_path(matrix_runs(matrix))  # only with very wide quiet zones
    # A light byte between rows ends every run at its row; the split alternates light
    # runs (maybe empty) and dark runs, starting and ending light.
    parts = _DARK_RUN_SPLIT.split(b"\x00".join(map(bytes, matrix)))
    lengths = list(map(len, parts))
    starts = islice(accumulate(lengths[:-1]), 0, None, 2)  # where each light run ends
    moves = map(_moves(size).__getitem__, starts)
    tails = map(_TAILS.__getitem__, islice(lengths, 1, None, 2))
    return "".join(chain.from_iterable(zip(moves, tails, strict=True)))


_LARGEST_SYMBOL = 177 + 2 * QUIET_ZONE  # version 40: its table of moves is ~2 MB
_DARK_RUN_SPLIT = re.compile(b"(\x01+)")


@lru_cache(maxsize=8)
def _moves(size: int) -> tuple[str, ...]:
    """The move to every offset into `size` rows of `size` + 1 bytes: "M{x} {y}"."""
    return tuple(f"M{x} {y}" for y in range(size) for x in range(size + 1))


def stroke_path(matrix: Matrix) -> str:
    """Path data that draws the dark modules as 1-unit-wide strokes (for `stroke_svg`).

    The pen moves relatively (`m3 0` skips three light modules, `h5` strokes five dark
    ones, one word per row ends it): half the bytes of `svg_path`. Every page of a site
    inlines one, so the rows are cut in C (before each light module that follows a dark
    one) into pieces of light-then-dark modules, and one dict lookup per piece yields its
    words: half the lookups of one per run, ~2x faster than a regex over the runs.
    """
    rows = b"|\n|".join(map(bytes, matrix))  # the row end is a piece of its own
    pieces = rows.replace(b"\x01\x00", b"\x01|\x00").split(b"|")
    return "M0 .5" + "".join(map(_stroke_words(len(matrix)).__getitem__, pieces))


@lru_cache(maxsize=16)
def _stroke_words(width: int) -> dict[bytes, str]:
    """Words for every piece a row can hold: `light` light then `dark` dark modules.

    (width + 1)^2 / 2 entries: ~1,300 (0.2 MB) for a typical 49-module code, 17,000
    (4 MB) for the largest symbol.
    """
    words = {b"\n": f"m-{width} 1", b"": ""}  # back to the next row's start; empty matrix
    for light in range(width + 1):
        skip = f"m{light} 0" if light else ""
        for dark in range(width + 1 - light):
            words[b"\x00" * light + b"\x01" * dark] = skip + (f"h{dark}" if dark else "")
    return words


def qr_svg(
    data: str,
    *,
    error_correction: ErrorCorrection = "M",
    size: str | None = None,
    title: str | None = None,
) -> str:
    """A standalone SVG document (no XML declaration, so it can be inlined in HTML too).

    `size` sets width/height (e.g. "25mm"); without it the SVG scales to its container.
    """
    matrix = qr_matrix(data, error_correction)
    shape = f'<path d="{stroke_path(matrix)}" stroke="#000" fill="none"/>'
    return _svg(len(matrix), shape, size, title)


def svg_document(
    modules: int, path: str, *, size: str | None = None, title: str | None = None
) -> str:
    """The SVG for an already encoded code (`modules` wide, quiet zone included).

    `path` is `svg_path` data (filled rectangles), the form the print channel caches.
    """
    return _svg(modules, f'<path d="{path}" fill="#000"/>', size, title)


def _svg(modules: int, shape: str, size: str | None, title: str | None) -> str:
    n = modules
    dims = f' width="{size}" height="{size}"' if size else ""
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"{dims} '
        f'shape-rendering="crispEdges" role="img">{label}'
        f'<rect width="{n}" height="{n}" fill="#fff"/>{shape}</svg>'
    )


def png_pixels(size_mm: float, dpi: int) -> int:
    """Pixel width of a square printed `size_mm` wide at `dpi`."""
    return round(size_mm / 25.4 * dpi)


def matrix_png(matrix: Matrix, *, size_px: int, dpi: int) -> bytes:
    """A 1-bit PNG exactly `size_px` square, tagged with `dpi` so layout programs size it.

    Every module gets the same whole number of pixels (scanners dislike uneven modules);
    the few pixels left over widen the white margin, so the printed size stays exact.
    Written directly (rows of packed bits, one zlib stream): Pillow's PNG encoder took
    ~0.7 ms a code, more than everything else the print channel does for an article.
    """
    n = len(matrix)
    scale = size_px // n
    if scale < 1:
        raise ValueError(f"{size_px} pixels cannot hold {n} modules")
    offset = (size_px - n * scale) // 2
    # Each module row becomes `scale` equal pixel lines, between white lines.
    distinct = _pixel_rows(matrix, scale, offset, size_px)
    line = len(distinct) // n
    white = b"\x00" + b"\xff" * (line - 1)
    lines = [white * offset]
    lines += [distinct[start : start + line] * scale for start in range(0, len(distinct), line)]
    lines.append(white * (size_px - offset - n * scale))
    per_metre = round(dpi / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", size_px, size_px, 1, 0, 0, 0, 0)),
            _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _png_chunk(b"IDAT", zlib.compress(b"".join(lines), 1)),  # ~7x faster than 9, +25% bytes
            _png_chunk(b"IEND", b""),
        )
    )


def _pixel_rows(matrix: Matrix, scale: int, offset: int, size_px: int) -> bytes:
    """The PNG line of each matrix row, once: filter byte 0, then 1-bit pixels (1 =
    white) packed and padded with white to a whole byte.

    Built for all rows at once in C: every module byte is widened to `scale` bytes by
    strided slice assignment, mapped to "0"/"1", margins join the rows, and one base-2
    int packs the bits (a loop over rows was 85% of the PNG's cost).
    """
    modules = b"".join(map(bytes, matrix))
    wide = bytearray(len(modules) * scale)
    for copy in range(scale):
        wide[copy::scale] = modules
    pixels = wide.translate(_PIXEL_BITS)
    width = len(matrix) * scale
    left = b"1" * offset
    right = b"1" * (size_px - offset - width + (-size_px % 8))
    filter_byte = b"0" * 8
    rows = [pixels[start : start + width] for start in range(0, len(pixels), width)]
    bits = filter_byte + left + (right + filter_byte + left).join(rows) + right
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


_PIXEL_BITS = bytes.maketrans(b"\x00\x01", b"10")  # a light module is a white pixel


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def qr_png(
    data: str, *, error_correction: ErrorCorrection = "M", size_mm: float = 25.0, dpi: int = 300
) -> bytes:
    """A PNG of `data` for print: `size_mm` wide at `dpi` (default 25 mm at 300 dpi)."""
    return matrix_png(qr_matrix(data, error_correction), size_px=png_pixels(size_mm, dpi), dpi=dpi)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )

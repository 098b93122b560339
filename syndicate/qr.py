"""QR codes for article URLs, shared by every channel that prints or shows one.

Why not qrcode's own image factories: they try all eight masks (~5-15 ms a code) and
build an element per module. We fix the mask (every mask decodes, the search only picks
the prettiest), encode with our own cached-layout encoder (`syndicate.qrencode`, >10x
faster than qrcode with the same matrix) and draw one SVG path, so a 10,000-article site
stays fast. Drawing reads the code as bytes (one a module), never as the Matrix of
bools: the HTML page's SVG gets it straight from the encoder, framed for `_strokes`.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, islice
from math import isqrt

from syndicate.qrencode import ErrorCorrection as ErrorCorrection
from syndicate.qrencode import Matrix as Matrix
from syndicate.qrencode import QrDataTooLongError as QrDataTooLongError
from syndicate.qrencode import encode_grid, grid_matrix

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
    global _last_encoded
    cells = encode_grid(data, error_correction, border)
    matrix = grid_matrix(cells, isqrt(len(cells)))
    _last_encoded = (matrix, cells)
    return matrix


# The matrix qr_matrix made last and its grid: the print channel draws a PNG and an SVG
# of each code right after encoding it, and turning a Matrix back into bytes costs
# ~30 µs each time. One slot, replaced whole, so concurrent callers at worst miss.
_last_encoded: tuple[Matrix, bytes] = ((), b"")


def _cells_of(matrix: Matrix) -> bytes:
    """`matrix` as one byte a module, rows one after another."""
    last, cells = _last_encoded
    if last is matrix:
        return cells
    return b"".join(map(bytes, matrix))


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
    cells = _cells_of(matrix)
    rows = [cells[start : start + size] for start in range(0, len(cells), size)]
    parts = _DARK_RUN_SPLIT.split(b"\x00".join(rows))
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
    ones, one word per row ends it): half the bytes of `svg_path`.
    """
    if not matrix:
        return "M0 .5"
    row_start, row_end = _STROKE_FRAME
    framed = row_start + (row_end + row_start).join(map(bytes, matrix)) + row_end
    return _strokes(framed, len(matrix))


# How `_strokes` wants rows framed: a marker byte before each, and after it a row-end
# byte and then the light-after-dark pair the path is cut at (see `_strokes`).
_STROKE_FRAME = (b"\x02", b"\n\x01\x00")
_CUT = b"\x01\x00"  # a dark module followed by a light one


def _strokes(framed: bytes, width: int) -> str:
    """`stroke_path` of rows of `width` modules (a byte each, 1 = dark) framed by
    `_STROKE_FRAME`.

    Every page of a site inlines one, so one C-level split cuts the rows between each
    dark module and the light one after it, and between rows, into pieces of
    light-then-dark modules, and one dict lookup per piece yields its words. The split
    drops the cut pair, so a piece inside a row has lost one light module at its start
    and one dark module at its end; the frame's marker bytes tell a row's first and last
    pieces from those. ~2x faster than a regex over the runs.
    """
    pieces = framed.split(_CUT)
    pieces.pop()  # the empty piece after the last row's frame
    path = "M0 .5" + "".join(map(_stroke_words(width).__getitem__, pieces))
    return path[: -len(_new_row(width))]  # the last row has no next one


@lru_cache(maxsize=8)
def _stroke_words(width: int) -> dict[bytes, str]:
    """Words for every piece `_strokes` can meet in rows of `width` modules: `light`
    light then `dark` dark modules, and the pen's move to the next row after a row's
    last piece.

    ~1.5 x width^2 entries: ~3,600 (0.5 MB) for a typical 49-module code, 50,000 (8 MB)
    for the largest symbol.
    """
    row_start, row_end = _STROKE_FRAME[0], _STROKE_FRAME[1][:1]
    words = {}
    for light in range(width + 1):
        skip = f"m{light} 0" if light else ""
        for dark in range(width + 1 - light):
            word = skip + (f"h{dark}" if dark else "")
            lights, darks = b"\x00" * light, b"\x01" * dark
            if light and dark:  # inside a row, between two cuts
                words[lights[1:] + darks[1:]] = word
            if dark:  # a row's first piece, cut after it
                words[row_start + lights + darks[1:]] = word
            if light:  # a row's last piece, cut before it
                words[lights[1:] + darks + row_end] = word + _new_row(width)
            if light + dark == width:  # a whole row
                words[row_start + lights + darks + row_end] = word + _new_row(width)
    return words


def _new_row(width: int) -> str:
    """The pen's move from the end of a row to the start of the next."""
    return f"m-{width} 1"


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
    framed = _framed_grid(data, error_correction)
    width = isqrt(len(framed) + 4) - 2  # rows of 1 + width + 3 bytes, width of them
    shape = f'<path d="{_strokes(framed, width)}" stroke="#000" fill="none"/>'
    return _svg(width, shape, size, title)


@lru_cache(maxsize=4096)
def _framed_grid(data: str, error_correction: ErrorCorrection) -> bytes:
    """The code as `_strokes` reads it, ~3 KB (a Matrix takes ~25 KB)."""
    return encode_grid(data, error_correction, QUIET_ZONE, _STROKE_FRAME)


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
    return png_document(size_px, dpi, b"".join(lines))


def png_document(size_px: int, dpi: int, scanlines: bytes) -> bytes:
    """A 1-bit grey PNG of `size_px` square from its filtered scanlines, tagged with `dpi`."""
    per_metre = round(dpi / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", size_px, size_px, 1, 0, 0, 0, 0)),
            _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _png_chunk(b"IDAT", zlib.compress(scanlines, 1)),  # ~7x faster than 9, +25% bytes
            _png_chunk(b"IEND", b""),
        )
    )


def _pixel_rows(matrix: Matrix, scale: int, offset: int, size_px: int) -> bytes:
    """The PNG line of each matrix row, once: filter byte 0, then 1-bit pixels (1 =
    white) packed and padded with white to a whole byte.

    All rows at once, as one int: a base-2 parse of the light modules, then a dozen
    mask-and-shift steps spread module i to bit i * scale, one multiplication repeats
    each bit `scale` times, a few more steps space the rows a line apart and the white
    margins are or-ed in. ~2x faster than widening the module bytes and parsing every
    pixel's bit (which was itself 7x faster than a loop per row).
    """
    lines = _png_lines(len(matrix), scale, offset, size_px)
    light = int(_cells_of(matrix).translate(_LIGHT_BITS), 2)
    value = _spread(_spread(light, lines.widen) * lines.repeat, lines.space)
    return (value << lines.right | lines.margins).to_bytes(lines.length, "big")


_LIGHT_BITS = bytes.maketrans(b"\x00\x01", b"10")  # a light module is a white pixel

Steps = tuple[tuple[int, int], ...]  # (mask, shift): move the masked bits up by shift


@dataclass(frozen=True, slots=True)
class _PngLines:
    """How `_pixel_rows` turns the light modules (first module = top bit) into lines."""

    widen: Steps  # module i to bit i * scale
    repeat: int  # times this: each module's bit `scale` times
    space: Steps  # row r (modules * scale bits) to bit r * line
    right: int  # then up by the right margin
    margins: int  # the white margins, or-ed in (filter bytes stay 0)
    length: int  # bytes of all lines


@lru_cache(maxsize=16)
def _png_lines(modules: int, scale: int, offset: int, size_px: int) -> _PngLines:
    row = modules * scale
    line = 8 + size_px + (-size_px % 8)  # filter byte, pixels padded to a whole byte
    right = line - 8 - offset - row
    margin = ((1 << offset) - 1) << (right + row) | ((1 << right) - 1)
    margins = int.from_bytes(margin.to_bytes(line // 8, "big") * modules, "big")
    return _PngLines(
        widen=_spread_steps(modules * modules, 1, scale - 1),
        repeat=(1 << scale) - 1,
        space=_spread_steps(modules, row, line - row),
        right=right,
        margins=margins,
        length=modules * line // 8,
    )


def _spread_steps(units: int, width: int, gap: int) -> Steps:
    """Steps that move unit i (`width` bits at bit i * width) to bit i * (width + gap).

    For each bit k of the unit index, highest first, the units with k set move up by
    2^k * gap: one mask and one shift of the whole int each time. The mask of step k
    covers, in each block of 2^(k+1) units (together, as lower bits are not applied yet),
    its upper half.
    """
    steps = []
    for k in reversed(range((units - 1).bit_length()) if gap else ()):
        bits = bytearray(b"0" * (units * (width + gap)))  # bit 0 first
        block = 2 << k
        for first in range(0, units, block):
            start = first * (width + gap)
            begin = start + block // 2 * width
            end = start + (min(first + block, units) - first) * width
            bits[begin:end] = b"1" * max(0, end - begin)
        steps.append((int(bits[::-1], 2), gap << k))
    return tuple(steps)


def _spread(value: int, steps: Steps) -> int:
    for mask, shift in steps:
        moving = value & mask
        value = value ^ moving | moving << shift
    return value


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

#!/usr/bin/env python3
"""QR encoding cost, before (qrcode, mask 0) and after (syndicate.qrencode), side by side.

    python3 benchmarks/qr_speed.py [--urls 2000] [--level M] [--repeat 5]

Encodes the same distinct article URLs (60-120 ASCII bytes, like a cold build where every
code is a cache miss) with the replaced qrcode-based code and with the current one, and
prints per-code times and the ratio for the matrix alone, the inline SVG (HTML channel)
and the 25 mm / 300 dpi PNG (print channel). A second table times each drawing function
of syndicate.qr alone against the version it replaced (a regex per run, a loop per row).
A third compares the encoder and drawing before and after they passed bytes instead of
Matrix tuples (issue #8): the previous gather-per-module placement and stroke_path are
rebuilt here from the encoder's layout, over the same URLs plus their print-channel
campaign form (`?utm_source=print&utm_medium=qr&utm_campaign=<date>`), every code a
cache miss. Outputs are checked equal first, so the columns do the same work.
Single-process CPU time, median of --repeat runs, passes interleaved; machines are
noisy, compare ratios.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import statistics
import time
from collections.abc import Callable
from functools import cache, partial
from operator import itemgetter
from typing import Any, cast

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from syndicate import qr, qrencode
from syndicate.qr import ErrorCorrection, Matrix, Run

_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
SECTIONS = ["politics", "sport", "culture/film", "world/europe", "business/markets"]
MatrixOf = Callable[[str, ErrorCorrection], Matrix]
Work = Callable[[str, ErrorCorrection], object]
Draw = Callable[[Matrix], object]
WORDS = ["council", "votes", "budget", "storm", "hits", "coast", "final", "match", "report"]


def old_matrix(data: str, level: ErrorCorrection = "M", border: int = 4) -> Matrix:
    """syndicate.qr.qr_matrix before this change (without its lru_cache)."""
    code = qrcode.QRCode(error_correction=_LEVELS[level], border=border, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def old_runs(matrix: Matrix) -> tuple[Run, ...]:
    """syndicate.qr.matrix_runs before this change."""
    runs: list[Run] = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append((start, y, x - start))
            else:
                x += 1
    return tuple(runs)


def old_png(matrix: Matrix, *, size_px: int, dpi: int) -> bytes:
    """syndicate.qr.matrix_png before this change."""
    n = len(matrix)
    scale = size_px // n
    pixels = bytes(0 if cell else 255 for row in matrix for cell in row)
    code = Image.frombytes("L", (n, n), pixels).resize(
        (n * scale, n * scale), Image.Resampling.NEAREST
    )
    canvas = Image.new("L", (size_px, size_px), 255)
    offset = (size_px - n * scale) // 2
    canvas.paste(code, (offset, offset))
    buffer = io.BytesIO()
    canvas.convert("1", dither=Image.Dither.NONE).save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def previous_stroke_path(matrix: Matrix) -> str:
    """syndicate.qr.stroke_path before it cut rows into light-then-dark pieces."""
    words = {b"\x00" * k: f"m{k} 0" for k in range(1, len(matrix) + 1)}
    words.update({b"\x01" * k: f"h{k}" for k in range(1, len(matrix) + 1)})
    words[b"\n"] = f"m-{len(matrix)} 1"
    rows = b"\n".join(map(bytes, matrix))
    return "M0 .5" + "".join(map(words.__getitem__, re.findall(b"\x00+|\x01+|\n", rows)))


def previous_svg_path(matrix: Matrix) -> str:
    """syndicate.qr.svg_path before it split all rows at once."""
    return qr.runs_path(qr.matrix_runs(matrix))


def previous_png(matrix: Matrix, *, size_px: int, dpi: int) -> bytes:
    """syndicate.qr.matrix_png before it packed all rows at once (a loop per row)."""
    n = len(matrix)
    scale = size_px // n
    offset = (size_px - n * scale) // 2
    left = "1" * offset
    right = "1" * (size_px - offset - n * scale + (-size_px % 8))
    widen = {0: "1" * scale, 1: "0" * scale}
    row_bytes = (size_px + 7) // 8
    white = b"\x00" + b"\xff" * row_bytes
    lines = [white] * offset
    for row in matrix:
        bits = left + bytes(row).decode("latin-1").translate(widen) + right
        lines += [b"\x00" + int(bits, 2).to_bytes(row_bytes, "big")] * scale
    lines += [white] * (size_px - len(lines))
    return qr.png_document(size_px, dpi, b"".join(lines))


def urls(count: int, seed: int = 1) -> list[str]:
    """Distinct typical article URLs between 60 and 120 bytes."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        slug = "-".join(rng.choices(WORDS, k=rng.randint(2, 10)))
        day = f"2026/{rng.randint(1, 12):02}/{rng.randint(1, 28):02}"
        url = f"https://news.example.com/{rng.choice(SECTIONS)}/{day}/{slug}/"
        if 60 <= len(url) <= 120:
            found.add(url)
    return sorted(found)


def new_matrix(data: str, level: ErrorCorrection) -> Matrix:
    return qrencode.encode(data, level, qr.QUIET_ZONE)  # what qr_matrix runs on a cache miss


def old_path(matrix: Matrix) -> str:
    """The print SVG path of the qrcode era: `old_runs`, drawn by runs_path."""
    return qr.runs_path(old_runs(matrix))


def svg(matrix_of: MatrixOf, path_of: Callable[[Matrix], str]) -> Work:
    def draw(data: str, level: ErrorCorrection) -> str:
        matrix = matrix_of(data, level)
        return qr.svg_document(len(matrix), path_of(matrix), size="25mm")

    return draw


def png(matrix_of: MatrixOf, draw: Callable[..., bytes]) -> Work:
    size_px = qr.png_pixels(25.0, 300)

    def render(data: str, level: ErrorCorrection) -> bytes:
        return draw(matrix_of(data, level), size_px=size_px, dpi=300)

    return render


def stroke_svg(matrix_of: MatrixOf) -> Work:
    """What an HTML page inlines now: the stroked path (qr.qr_svg)."""

    def draw(data: str, level: ErrorCorrection) -> str:
        matrix = matrix_of(data, level)
        shape = f'<path d="{qr.stroke_path(matrix)}" stroke="#000" fill="none"/>'
        return qr._svg(len(matrix), shape, "25mm", None)

    return draw


def drawn(output: object) -> object:
    """What an output shows: PNG bytes may differ (encoder, compression), pixels may not."""
    if isinstance(output, bytes) and output.startswith(b"\x89PNG"):
        return Image.open(io.BytesIO(output)).convert("L").tobytes()
    return output


def median_time(work: Work, data: list[str], level: ErrorCorrection, repeat: int) -> float:
    """CPU seconds of one pass over `data`, median of `repeat` passes."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        for item in data:
            work(item, level)
        times.append(time.process_time() - start)
    return statistics.median(times)


def per_call_us(draw: Callable[[Matrix], object], matrices: list[Matrix], repeat: int) -> float:
    """CPU µs of one call, median of `repeat` passes over `matrices`."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        for matrix in matrices:
            draw(matrix)
        times.append(time.process_time() - start)
    return statistics.median(times) / len(matrices) * 1e6


def function_table(data: list[str], level: ErrorCorrection, repeat: int) -> None:
    """Each drawing function of syndicate.qr against the version it replaced."""
    matrices = [new_matrix(item, level) for item in data]
    size_px = qr.png_pixels(25.0, 300)
    functions: dict[str, tuple[Draw, Draw]] = {
        "qr.stroke_path (html)": (previous_stroke_path, qr.stroke_path),
        "qr.svg_path (print)": (previous_svg_path, qr.svg_path),
        "qr.matrix_png (print)": (
            partial(previous_png, size_px=size_px, dpi=300),
            partial(qr.matrix_png, size_px=size_px, dpi=300),
        ),
    }
    for name, (before, after) in functions.items():
        assert all(before(matrix) == after(matrix) for matrix in matrices), name
    encode = median_time(new_matrix, data, level, repeat) / len(data) * 1e6
    print(f"\n{'per function, CPU µs a call':<24} {'before':>10} {'after':>10} {'speedup':>8}")
    print(f"{'qrencode.encode':<24} {'(same)':>10} {encode:>10.1f}")
    for name, (before, after) in functions.items():
        old = per_call_us(before, matrices, repeat)
        new = per_call_us(after, matrices, repeat)
        print(f"{name:<24} {old:>10.1f} {new:>10.1f} {old / new:>7.1f}x")


@cache
def previous_gather(version: int, level: ErrorCorrection, border: int) -> tuple[Any, ...]:
    """The placement before slice copies: one itemgetter per row over the data bits."""
    layout = qrencode._layout(version)
    cells: qrencode.Cells = [list(row) for row in layout.cells]
    light, dark = layout.modules, layout.modules + 1
    source = [[dark if cell else light for cell in row] for row in cells]
    for index, (row, col) in enumerate(qrencode._zigzag(cells)):
        source[row][col] = index
    bits = qrencode.format_bits(level)
    for copy in qrencode._format_positions(layout.size):
        for i, (row, col) in enumerate(copy):
            source[row][col] = dark if bits >> i & 1 else light
    width = layout.size + 2 * border
    quiet, edge = [light] * width, [light] * border
    padded = [quiet] * border + [edge + row + edge for row in source] + [quiet] * border
    return tuple(itemgetter(*row) for row in padded)


def previous_encode(data: str, level: ErrorCorrection = "M", border: int = 4) -> Matrix:
    """qrencode.encode before this change: the same codewords, gathered module by module."""
    segments = qrencode.segments_of(data.encode("utf-8"))
    version = qrencode.choose_version(segments, level)
    codewords = qrencode.final_codewords(segments, version, level)
    layout = qrencode._layout(version)
    value = (int.from_bytes(codewords, "big") << layout.modules - layout.capacity) ^ layout.mask
    bits = format(value, f"0{layout.modules}b").encode("ascii").translate(_CELLS)
    cells = memoryview(bits + b"\x00\x01").cast("?")
    return cast(Matrix, tuple(row(cells) for row in previous_gather(version, level, border)))


_CELLS = bytes.maketrans(b"01", b"\x00\x01")


@cache
def previous_words(width: int) -> dict[bytes, str]:
    words = {b"\n": f"m-{width} 1", b"": ""}
    for light in range(width + 1):
        skip = f"m{light} 0" if light else ""
        for dark in range(width + 1 - light):
            words[b"\x00" * light + b"\x01" * dark] = skip + (f"h{dark}" if dark else "")
    return words


def previous_pieces_stroke_path(matrix: Matrix) -> str:
    """qr.stroke_path before this change: rows joined, cut by a replace, then split."""
    rows = b"|\n|".join(map(bytes, matrix))
    pieces = rows.replace(b"\x01\x00", b"\x01|\x00").split(b"|")
    return "M0 .5" + "".join(map(previous_words(len(matrix)).__getitem__, pieces))


def previous_qr_svg(data: str, level: ErrorCorrection) -> str:
    """qr.qr_svg before this change (its matrix cache missing, as in a cold build)."""
    matrix = previous_encode(data, level)
    shape = f'<path d="{previous_pieces_stroke_path(matrix)}" stroke="#000" fill="none"/>'
    return qr._svg(len(matrix), shape, None, None)


def current_qr_svg(data: str, level: ErrorCorrection) -> str:
    qr._framed_grid.cache_clear()  # every code a miss, as in a cold build
    return qr.qr_svg(data, error_correction=level)


def current_matrix(data: str, level: ErrorCorrection) -> Matrix:
    qr.qr_matrix.cache_clear()
    return qr.qr_matrix(data, level)


def print_art(matrix_of: MatrixOf) -> Work:
    """What the print channel does with a code it has not cached: matrix, PNG, SVG path.

    A matrix from previous_encode is not the one qr_matrix made last, so the drawing
    functions turn it into bytes first, as all of them did before.
    """
    size_px = qr.png_pixels(25.0, 300)

    def draw(data: str, level: ErrorCorrection) -> tuple[bytes, str]:
        matrix = matrix_of(data, level)
        return qr.matrix_png(matrix, size_px=size_px, dpi=300), qr.svg_path(matrix)

    return draw


def previous_widened_png(matrix: Matrix, *, size_px: int, dpi: int) -> bytes:
    """qr.matrix_png before this change: module bytes widened by strided slice copies,
    every pixel's bit parsed by int(..., 2)."""
    n = len(matrix)
    scale = size_px // n
    offset = (size_px - n * scale) // 2
    modules = b"".join(map(bytes, matrix))
    wide = bytearray(len(modules) * scale)
    for copy in range(scale):
        wide[copy::scale] = modules
    pixels = wide.translate(bytes.maketrans(b"\x00\x01", b"10"))
    width = n * scale
    left, right = b"1" * offset, b"1" * (size_px - offset - width + (-size_px % 8))
    rows = [pixels[start : start + width] for start in range(0, len(pixels), width)]
    bits = b"0" * 8 + left + (right + b"0" * 8 + left).join(rows) + right
    distinct = int(bits, 2).to_bytes(len(bits) // 8, "big")
    line = len(distinct) // n
    white = b"\x00" + b"\xff" * (line - 1)
    lines = [white * offset]
    lines += [distinct[start : start + line] * scale for start in range(0, len(distinct), line)]
    lines.append(white * (size_px - offset - n * scale))
    return qr.png_document(size_px, dpi, b"".join(lines))


def png_of(draw: Callable[..., bytes]) -> Work:
    """A PNG of a code encoded beforehand (`matrices`), as the print channel draws it."""
    size_px = qr.png_pixels(25.0, 300)

    def render(data: str, level: ErrorCorrection) -> bytes:
        return draw(matrices[data, level], size_px=size_px, dpi=300)

    return render


matrices: dict[tuple[str, ErrorCorrection], Matrix] = {}


def campaign_urls(data: list[str]) -> list[str]:
    """The print channel's landing URLs: the article URL plus utm_* parameters."""
    rng = random.Random(2)
    return [
        f"{url}?utm_source=print&utm_medium=qr&utm_campaign=2026-{rng.randint(1, 12):02}-"
        f"{rng.randint(1, 28):02}"
        for url in data
    ]


def interleaved(
    pairs: dict[str, tuple[Work, Work]], data: list[str], level: ErrorCorrection, repeat: int
) -> dict[str, tuple[float, float]]:
    """Median CPU µs a code of each side, the two sides' passes taking turns."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in pairs}
    for _ in range(repeat):
        for name, sides in pairs.items():
            for side, work in enumerate(sides):
                start = time.process_time()
                for item in data:
                    work(item, level)
                times[name][side].append(time.process_time() - start)
    return {
        name: (statistics.median(a) / len(data) * 1e6, statistics.median(b) / len(data) * 1e6)
        for name, (a, b) in times.items()
    }


def bytes_table(data: list[str], level: ErrorCorrection, repeat: int) -> None:
    """Encoder and drawing before/after passing bytes instead of Matrix tuples."""
    data = data + campaign_urls(data)
    pairs: dict[str, tuple[Work, Work]] = {
        "qr_matrix": (previous_encode, current_matrix),
        "qr_svg (html)": (previous_qr_svg, current_qr_svg),
        "matrix_png": (png_of(previous_widened_png), png_of(qr.matrix_png)),
        "print art": (print_art(previous_encode), print_art(current_matrix)),
    }
    matrices.update({(item, level): qr.qr_matrix(item, level) for item in data})
    for item in data:
        for name, (before, after) in pairs.items():
            assert before(item, level) == after(item, level), (name, item)
    print(f"\nissue #8, {len(data)} URLs (half with utm_*), cold caches, CPU µs a code")
    print(f"{'':<16} {'before':>10} {'after':>10} {'speedup':>8}")
    for name, (old, new) in interleaved(pairs, data, level, repeat).items():
        print(f"{name:<16} {old:>10.1f} {new:>10.1f} {old / new:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--level", choices=list(_LEVELS), default="M")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--only-bytes", action="store_true", help="only the before/after table of issue #8"
    )
    args = parser.parse_args()
    level: ErrorCorrection = args.level
    data = urls(args.urls)
    if args.only_bytes:
        bytes_table(data, level, args.repeat)
        return
    pairs: dict[str, tuple[Work, Work]] = {
        "matrix": (old_matrix, new_matrix),
        "svg (print)": (svg(old_matrix, old_path), svg(new_matrix, qr.svg_path)),
        "svg (html)": (svg(old_matrix, old_path), stroke_svg(new_matrix)),
        "png (print)": (png(old_matrix, old_png), png(new_matrix, qr.matrix_png)),
    }
    for name, (before, after) in pairs.items():
        if name == "svg (html)":
            continue  # another path form by design; tests/core/test_qr.py replays it
        for item in data[:200]:
            assert drawn(before(item, level)) == drawn(after(item, level)), (name, item)
    sizes = sorted({len(new_matrix(item, level)) - 8 for item in data})
    print(f"{len(data)} URLs, {min(map(len, data))}-{max(map(len, data))} bytes, level {level}, ")
    print(f"symbol sizes {sizes} modules; outputs checked equal; median of {args.repeat}")
    print(f"{'':<12} {'before µs':>10} {'after µs':>10} {'speedup':>8}")
    for name, (before, after) in pairs.items():
        old = median_time(before, data, level, args.repeat) / len(data) * 1e6
        new = median_time(after, data, level, args.repeat) / len(data) * 1e6
        print(f"{name:<12} {old:>10.1f} {new:>10.1f} {old / new:>7.1f}x")
    function_table(data, level, args.repeat)
    bytes_table(data, level, args.repeat)


if __name__ == "__main__":
    main()

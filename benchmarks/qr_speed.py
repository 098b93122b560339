#!/usr/bin/env python3
"""QR encoding cost, before (qrcode, mask 0) and after (syndicate.qrencode), side by side.

    python3 benchmarks/qr_speed.py [--urls 2000] [--level M] [--repeat 5]

Encodes the same distinct article URLs (60-120 ASCII bytes, like a cold build where every
code is a cache miss) with the replaced qrcode-based code and with the current one, and
prints per-code times and the ratio for the matrix alone, the inline SVG (HTML channel)
and the 25 mm / 300 dpi PNG (print channel). A second table times each drawing function
of syndicate.qr alone against the version it replaced (a regex per run, a loop per row).
Outputs are checked equal first, so the columns do the same work. Single-process CPU
time, median of --repeat runs; machines are noisy, compare ratios.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import statistics
import struct
import time
import zlib
from collections.abc import Callable
from functools import partial

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
    per_metre = round(dpi / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            qr._png_chunk(b"IHDR", struct.pack(">IIBBBBB", size_px, size_px, 1, 0, 0, 0, 0)),
            qr._png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            qr._png_chunk(b"IDAT", zlib.compress(b"".join(lines), 1)),
            qr._png_chunk(b"IEND", b""),
        )
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--level", choices=list(_LEVELS), default="M")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    level: ErrorCorrection = args.level
    data = urls(args.urls)
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


if __name__ == "__main__":
    main()

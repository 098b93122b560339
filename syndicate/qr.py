"""QR codes for article URLs, shared by every channel that prints or shows one.

Why not qrcode's own image factories: they try all eight masks (~5-15 ms a code) and
build an element per module. We fix the mask (~1-2 ms; every mask decodes, the search only
picks the prettiest) and draw one SVG path, so a 10,000-article site stays fast.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Literal

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

ErrorCorrection = Literal["L", "M", "Q", "H"]
_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
QUIET_ZONE = 4  # modules of white border the QR specification requires

Matrix = tuple[tuple[bool, ...], ...]
Run = tuple[int, int, int]  # (x, y, width) of a horizontal run of dark modules


@lru_cache(maxsize=4096)
def qr_matrix(
    data: str, error_correction: ErrorCorrection = "M", border: int = QUIET_ZONE
) -> Matrix:
    """The module grid (True = dark), quiet zone included."""
    code = qrcode.QRCode(error_correction=_LEVELS[error_correction], border=border, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def matrix_runs(matrix: Matrix) -> tuple[Run, ...]:
    """Horizontal runs of dark modules: a compact form to draw (SVG, PDF) or cache."""
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


def runs_path(runs: tuple[Run, ...] | list[Run]) -> str:
    """SVG path data for runs, in module units."""
    return "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs)


def svg_path(matrix: Matrix) -> str:
    """One path of horizontal runs of dark modules, in module units."""
    return runs_path(matrix_runs(matrix))


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
    return svg_document(len(matrix), svg_path(matrix), size=size, title=title)


def svg_document(
    modules: int, path: str, *, size: str | None = None, title: str | None = None
) -> str:
    """The SVG for an already encoded code (`modules` wide, quiet zone included)."""
    n = modules
    dims = f' width="{size}" height="{size}"' if size else ""
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"{dims} '
        f'shape-rendering="crispEdges" role="img">{label}'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )


def png_pixels(size_mm: float, dpi: int) -> int:
    """Pixel width of a square printed `size_mm` wide at `dpi`."""
    return round(size_mm / 25.4 * dpi)


def matrix_png(matrix: Matrix, *, size_px: int, dpi: int) -> bytes:
    """A 1-bit PNG exactly `size_px` square, tagged with `dpi` so layout programs size it.

    Every module gets the same whole number of pixels (scanners dislike uneven modules);
    the few pixels left over widen the white margin, so the printed size stays exact.
    """
    n = len(matrix)
    scale = size_px // n
    if scale < 1:
        raise ValueError(f"{size_px} pixels cannot hold {n} modules")
    small = Image.frombytes(
        "L", (n, n), bytes(0 if cell else 255 for row in matrix for cell in row)
    )
    code = small.resize((n * scale, n * scale), Image.Resampling.NEAREST)
    canvas = Image.new("L", (size_px, size_px), 255)
    offset = (size_px - n * scale) // 2
    canvas.paste(code, (offset, offset))
    buffer = io.BytesIO()
    canvas.convert("1", dither=Image.Dither.NONE).save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def qr_png(
    data: str, *, error_correction: ErrorCorrection = "M", size_mm: float = 25.0, dpi: int = 300
) -> bytes:
    """A PNG of `data` for print: `size_mm` wide at `dpi` (default 25 mm at 300 dpi)."""
    return matrix_png(qr_matrix(data, error_correction), size_px=png_pixels(size_mm, dpi), dpi=dpi)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )

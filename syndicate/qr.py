"""QR codes for article URLs, shared by every channel that prints or shows one.

Why not qrcode's own image factories: they try all eight masks (~5-15 ms a code) and
build an element per module. We fix the mask (~1-2 ms; every mask decodes, the search only
picks the prettiest) and draw one SVG path, so a 10,000-article site stays fast.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

ErrorCorrection = Literal["L", "M", "Q", "H"]
_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
QUIET_ZONE = 4  # modules of white border the QR specification requires

Matrix = tuple[tuple[bool, ...], ...]


@lru_cache(maxsize=4096)
def qr_matrix(
    data: str, error_correction: ErrorCorrection = "M", border: int = QUIET_ZONE
) -> Matrix:
    """The module grid (True = dark), quiet zone included."""
    code = qrcode.QRCode(error_correction=_LEVELS[error_correction], border=border, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def svg_path(matrix: Matrix) -> str:
    """One path of horizontal runs of dark modules, in module units."""
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(parts)


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
    n = len(matrix)
    dims = f' width="{size}" height="{size}"' if size else ""
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"{dims} '
        f'shape-rendering="crispEdges" role="img">{label}'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path d="{svg_path(matrix)}" fill="#000"/></svg>'
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )

"""The edition sheet as PDF, drawn with reportlab (pure PyPI: no system libraries).

The layout mirrors templates/print/edition.html (same pages, same boxes); QR codes are
drawn as vector rectangles so they stay sharp at any print resolution. Every font is
embedded and subset (fonts.py): a press's preflight accepts nothing less.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .edition import Edition
from .fonts import FAKE_BOLD_STROKE, Face, FontSet
from .snippets import Snippet
from .text import wrap

MARGIN = 12 * mm
GAP = 3 * mm
PAD = 3 * mm
HEADER = 8 * mm
HEADLINE_PT, DEK_PT, META_PT = 12.0, 9.0, 7.5
LEADING = 1.25


def _draw(canvas: Canvas, x: float, y: float, text: str, face: Face, size: float) -> None:
    """One line of text; a fake bold face is filled and stroked (text render mode 2)."""
    if not face.fake_bold:
        canvas.setFont(face.name, size)
        canvas.drawString(x, y, text)
        return
    line = canvas.beginText(x, y)
    line.setFont(face.name, size)
    line.setTextRenderMode(2)
    canvas.saveState()
    canvas.setLineWidth(size * FAKE_BOLD_STROKE)
    line.textOut(text)
    canvas.drawText(line)
    canvas.restoreState()


def _measure(font: str, size: float) -> Callable[[str], float]:
    return lambda text: pdfmetrics.stringWidth(text, font, size)


def edition_pdf(edition: Edition, fonts: FontSet) -> bytes:
    """One A4 page per page of the edition; reproducible bytes for the same input."""
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=True,
        pageCompression=1,
        # Else every page names Helvetica, not embedded (the stubs mistype this as float).
        initialFontName=fonts.regular,  # type: ignore[arg-type]
    )
    canvas.setTitle(edition.heading)
    canvas.setCreator("syndicate")
    width, height = A4
    box_w = width - 2 * MARGIN
    rows = edition.per_page
    box_h = (height - 2 * MARGIN - HEADER - (rows - 1) * GAP) / rows
    total = len(edition.pages)
    for number, page in enumerate(edition.pages, start=1):
        _header(canvas, fonts, edition, number, total, width, height)
        top = height - MARGIN - HEADER
        for snippet in page:
            _box(canvas, fonts, snippet, MARGIN, top, box_w, box_h, edition.qr_size_mm * mm)
            top -= box_h + GAP
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _header(
    canvas: Canvas, fonts: FontSet, edition: Edition, number: int, total: int, w: float, h: float
) -> None:
    y = h - MARGIN - 4 * mm
    _draw(canvas, MARGIN, y, edition.heading, fonts.face(edition.heading), 8)
    folio = edition.folio(number, total)
    face = fonts.face(folio)
    canvas.setFont(face.name, 8)
    canvas.drawRightString(w - MARGIN, y, folio)
    canvas.setLineWidth(0.3 * mm)
    canvas.line(MARGIN, y - 1.5 * mm, w - MARGIN, y - 1.5 * mm)


def _box(
    canvas: Canvas,
    fonts: FontSet,
    snippet: Snippet,
    x: float,
    top: float,
    w: float,
    h: float,
    qr_size: float,
) -> None:
    canvas.setLineWidth(0.3 * mm)
    canvas.rect(x, top - h, w, h, stroke=1, fill=0)
    qr_size = min(qr_size, h - 2 * PAD)
    _qr(canvas, snippet, x + w - PAD - qr_size, top - PAD, qr_size)
    text_w = w - 3 * PAD - qr_size - 1 * mm
    y = top - PAD
    bottom = top - h + PAD + 2 * META_PT * LEADING
    blocks = [(snippet.headline, HEADLINE_PT, True, 2), (snippet.dek, DEK_PT, False, None)]
    for text, size, bold, max_lines in blocks:
        if not text:
            continue
        face = fonts.face(text, bold)
        room = int((y - bottom) // (size * LEADING))
        limit = min(max_lines or room, room)
        if limit < 1:
            break
        for line in wrap(text, _measure(face.name, size), text_w, limit):
            y -= size * LEADING
            _draw(canvas, x + PAD, y + size * (LEADING - 1), line, face, size)
        y -= 1.5 * mm
    y = top - h + PAD + META_PT * LEADING
    for line in (snippet.scan_line, snippet.attribution):
        _draw(canvas, x + PAD, y, line, fonts.face(line), META_PT)
        y -= META_PT * LEADING


def _qr(canvas: Canvas, snippet: Snippet, x: float, top: float, size: float) -> None:
    """Vector QR: one filled rectangle per run of dark modules."""
    art = snippet.qr
    module = size / art.modules
    canvas.setFillGray(1)
    canvas.rect(x, top - size, size, size, stroke=0, fill=1)
    canvas.setFillGray(0)
    path = canvas.beginPath()
    for rx, ry, rw in art.runs():
        path.rect(x + rx * module, top - (ry + 1) * module, rw * module, module)
    canvas.drawPath(path, stroke=0, fill=1)

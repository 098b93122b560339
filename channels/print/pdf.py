"""The edition sheet as PDF, drawn with reportlab (pure PyPI: no system libraries).

The layout mirrors templates/print/edition.html (same pages, same boxes); QR codes are
drawn as vector rectangles so they stay sharp at any print resolution. Chinese, Japanese
and Korean text use the PDF standard CID fonts, which readers supply: nothing to embed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from .edition import Edition
from .snippets import Snippet
from .text import wrap

MARGIN = 12 * mm
GAP = 3 * mm
PAD = 3 * mm
HEADER = 8 * mm
HEADLINE_PT, DEK_PT, META_PT = 12.0, 9.0, 7.5
LEADING = 1.25
_CID_FONTS = {"zh-hant": "MSung-Light", "zh-tw": "MSung-Light", "zh-hk": "MSung-Light"}
_CID_BY_LANGUAGE = {"zh": "STSong-Light", "ja": "HeiseiMin-W3", "ko": "HYSMyeongJo-Medium"}


@cache
def _cid_font(name: str) -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def font_for(text: str, language: str, bold: bool = False) -> str:
    """Helvetica when the text fits its encoding, else a CID font for the language."""
    try:
        text.encode("cp1252")
        return "Helvetica-Bold" if bold else "Helvetica"
    except UnicodeEncodeError:
        tag = language.lower()
        name = _CID_FONTS.get(tag) or _CID_BY_LANGUAGE.get(tag.split("-")[0], "STSong-Light")
        return _cid_font(name)


def _measure(font: str, size: float) -> Callable[[str], float]:
    return lambda text: pdfmetrics.stringWidth(text, font, size)


def edition_pdf(edition: Edition) -> bytes:
    """One A4 page per page of the edition; reproducible bytes for the same input."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(edition.heading)
    canvas.setCreator("syndicate")
    width, height = A4
    box_w = width - 2 * MARGIN
    rows = edition.per_page
    box_h = (height - 2 * MARGIN - HEADER - (rows - 1) * GAP) / rows
    total = len(edition.pages)
    for number, page in enumerate(edition.pages, start=1):
        _header(canvas, edition, number, total, width, height)
        top = height - MARGIN - HEADER
        for snippet in page:
            _box(canvas, snippet, MARGIN, top, box_w, box_h, edition.qr_size_mm * mm)
            top -= box_h + GAP
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _header(canvas: Canvas, edition: Edition, number: int, total: int, w: float, h: float) -> None:
    language = edition.pages[0][0].language if edition.pages and edition.pages[0] else "en"
    y = h - MARGIN - 4 * mm
    canvas.setFont(font_for(edition.heading, language), 8)
    canvas.drawString(MARGIN, y, edition.heading)
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(w - MARGIN, y, f"page {number} of {total}")
    canvas.setLineWidth(0.3 * mm)
    canvas.line(MARGIN, y - 1.5 * mm, w - MARGIN, y - 1.5 * mm)


def _box(
    canvas: Canvas, snippet: Snippet, x: float, top: float, w: float, h: float, qr_size: float
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
        font = font_for(text, snippet.language, bold)
        room = int((y - bottom) // (size * LEADING))
        limit = min(max_lines or room, room)
        if limit < 1:
            break
        canvas.setFont(font, size)
        for line in wrap(text, _measure(font, size), text_w, limit):
            y -= size * LEADING
            canvas.drawString(x + PAD, y + size * (LEADING - 1), line)
        y -= 1.5 * mm
    y = top - h + PAD + META_PT * LEADING
    for line in (snippet.scan_line, snippet.attribution):
        font = font_for(line, snippet.language)
        canvas.setFont(font, META_PT)
        canvas.drawString(x + PAD, y, line)
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

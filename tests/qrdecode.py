"""Reading QR codes back with zbar, from PNG, SVG (rendered by cairo) and PDF (pdfium).

Shared by every channel's tests that draw a code; our own drawing code never decodes.
"""

from __future__ import annotations

import io

import cairosvg
import pypdfium2
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode


def decode_image(image: Image.Image) -> list[str]:
    """Every QR code zbar finds in the image, as text."""
    found = decode(image.convert("L"), symbols=[ZBarSymbol.QRCODE])
    return [symbol.data.decode("utf-8") for symbol in found]


def decode_png(data: bytes) -> list[str]:
    return decode_image(Image.open(io.BytesIO(data)))


def decode_svg(svg: str | bytes, width: int | None = None) -> list[str]:
    """Rasterise with cairo (a real SVG renderer, not our own code), then decode."""
    raw = svg.encode("utf-8") if isinstance(svg, str) else svg
    png = cairosvg.svg2png(bytestring=raw, dpi=300, output_width=width, background_color="white")
    return decode_png(png)


def decode_pdf(data: bytes) -> list[list[str]]:
    """The codes on each page of a PDF (rendered at ~300 dpi with pdfium)."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [decode_image(page.render(scale=300 / 72).to_pil()) for page in document]
    finally:
        document.close()

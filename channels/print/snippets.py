"""The print box for one article: plain text for layout systems, and an SVG with the QR.

SVG text does not wrap by itself, so lines are broken here with an estimate of glyph
widths (generous, so real fonts fit); the box grows with the text it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from syndicate.catalogues import translations
from syndicate.model import Article, Site
from syndicate.templating import Templates

from .links import PrintLinks
from .qrimages import QrArt
from .text import cut, estimate_width, wrap

LOCALE_DIR = Path(__file__).parent / "locale"  # labels' translations (English is the msgid)
BOX_WIDTH_MM = 90.0
PADDING_MM = 3.0
HEADLINE_MM, HEADLINE_LEADING = 4.2, 5.0  # font size and line distance, in mm
DEK_MM, DEK_LEADING = 3.0, 3.9
META_MM, META_LEADING = 2.5, 3.4
HEADLINE_MAX_LINES = 4
BOLD = 1.08  # bold glyphs are wider


@dataclass(frozen=True, slots=True)
class Snippet:
    """The words of a print box; every channel output of it (txt, SVG, HTML, PDF) agrees."""

    slug: str
    headline: str
    dek: str
    short_url: str
    scan_line: str  # "Scan to read: <short url>", in the article's language
    attribution: str
    language: str
    qr: QrArt


def make_snippet(
    article: Article, site: Site, links: PrintLinks, art: QrArt, dek_chars: int
) -> Snippet:
    source = article.source.name if article.source else site.info.title
    _ = translations(LOCALE_DIR, article.language).gettext
    return Snippet(
        slug=article.slug,
        headline=" ".join(article.title.split()),
        dek=cut(article.summary, dek_chars),
        short_url=links.short_url,
        scan_line=_("Scan to read: %(url)s") % {"url": links.short_url},
        attribution=_("Source: %(source)s") % {"source": source},
        language=article.language,
        qr=art,
    )


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    y: float  # baseline, mm from the top of the box


@dataclass(frozen=True, slots=True)
class SvgBox:
    width: float
    height: float
    headline: list[Line]
    dek: list[Line]
    meta: list[Line]
    qr_x: float
    qr_y: float
    qr_size: float


def layout(snippet: Snippet, qr_size_mm: float) -> SvgBox:
    """Where each line and the code go in a box BOX_WIDTH_MM wide."""
    inner = BOX_WIDTH_MM - 2 * PADDING_MM
    qr_size = min(qr_size_mm, inner / 2)
    y = PADDING_MM
    headline = []
    for text in wrap(
        snippet.headline, estimate_width, inner / (HEADLINE_MM * BOLD), HEADLINE_MAX_LINES
    ):
        y += HEADLINE_LEADING
        headline.append(Line(text, round(y, 2)))
    body_top = y + 2.0
    dek_width = inner - qr_size - PADDING_MM
    dek = []
    y = body_top
    for text in wrap(snippet.dek, estimate_width, dek_width / DEK_MM):
        y += DEK_LEADING
        dek.append(Line(text, round(y, 2)))
    y = max(y + 1.0, body_top + qr_size) + 1.0
    meta = []
    for part in (snippet.scan_line, snippet.attribution):
        for text in wrap(part, estimate_width, inner / META_MM):
            y += META_LEADING
            meta.append(Line(text, round(y, 2)))
    return SvgBox(
        width=BOX_WIDTH_MM,
        height=round(y + PADDING_MM, 2),
        headline=headline,
        dek=dek,
        meta=meta,
        qr_x=round(BOX_WIDTH_MM - PADDING_MM - qr_size, 2),
        qr_y=round(body_top, 2),
        qr_size=qr_size,
    )


def snippet_text(templates: Templates, snippet: Snippet) -> str:
    return templates.render("print/snippet.txt", snippet=snippet)


def snippet_svg(templates: Templates, snippet: Snippet, qr_size_mm: float) -> str:
    return templates.render(
        "print/snippet.svg",
        snippet=snippet,
        box=layout(snippet, qr_size_mm),
        qr_path=snippet.qr.path,
        sizes={"headline": HEADLINE_MM, "dek": DEK_MM, "meta": META_MM},
    )

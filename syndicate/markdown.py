"""Markdown body -> sanitised HTML, subheadings, first paragraph and word count.

`render_body` is a pure function of the text, so the pipeline may cache it by content hash
and run it in worker processes.

Why cmark-gfm (via `cmarkgfm`): it is the CommonMark reference parser in C, about ten
times faster than a pure-Python parser, and Markdown was most of a cold build's time.
Its HTML is regular (every block starts a line, its own tags carry no attributes), so
anchors, the first paragraph and the text are read back from the HTML instead of a
token tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from itertools import filterfalse

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

from .model import Body, Heading
from .slug import slugify

SUMMARY_LIMIT = 300
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_OR_PUNCTUATION = re.compile(
    r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)

# What article bodies may contain once sanitised: nh3's defaults plus heading anchors.
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _level in range(1, 7):
    _ATTRIBUTES.setdefault(f"h{_level}", set()).add("id")
_ATTRIBUTES.setdefault("img", set()).update({"src", "alt", "title", "width", "height"})
_ATTRIBUTES.setdefault("a", set()).update({"href", "title"})
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Built once: nh3.clean() rebuilds its allow-lists on every call (~1.6x slower a body).
_CLEANER = nh3.Cleaner(attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES, link_rel=None)

_EXTENSIONS = ["table", "strikethrough"]
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_URL_ATTRIBUTE = re.compile(r'\s(?:href|src)="([^"]*)"')
_SCHEME = re.compile(r"^([^/?#]*):")
# Block containers cmark writes on their own line; a paragraph inside one is not the lede.
_BLOCK_LINE = re.compile(r"^(?:<(/?)(?:blockquote|ul|ol)\b[^>]*>|<p>(.*?)</p>)", re.M | re.S)


@dataclass(frozen=True, slots=True)
class RenderedBody:
    body: Body  # the HTML and subheadings
    first_paragraph: str
    word_count: int


def render_body(text: str) -> RenderedBody:
    """Render CommonMark (+ tables, strikethrough); headings get unique anchors."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS
    )
    html, headings = _anchor_headings(html)
    # Only raw HTML (it needs a "<") or a link with a foreign scheme can carry anything
    # dangerous; clean bodies, the common case, skip the sanitiser.
    if "<" in text or _has_unsafe_url(html):
        html = sanitize_html(html)
    first, words = _first_paragraph(html), count_words(html_text(html))
    return RenderedBody(Body(html, headings), first, words)


def count_words(text: str) -> int:
    """Whitespace-separated words, plus one per CJK character (those scripts use no spaces)."""
    words = text.split()
    if text.isascii():
        return len(words)
    # Only the few non-ASCII words need the (slow) character scan.
    mixed = list(filterfalse(str.isascii, words))
    return len(words) - len(mixed) + sum(map(_count_non_ascii, mixed))


def _count_non_ascii(word: str) -> int:
    cjk = len(_CJK.findall(word))
    return cjk + len((_CJK_OR_PUNCTUATION.sub(" ", word) if cjk else word).split())


def html_text(html: str) -> str:
    """The text of an HTML fragment, tags dropped and entities decoded.

    Tags vanish without a space ("a<em>b</em>" is one word); cmark ends every block
    with a newline, so blocks stay apart.
    """
    return unescape(_TAG.sub("", html))


def sanitize_html(html: str) -> str:
    """Strip scripts, event handlers and javascript: URLs; keep the article's markup."""
    return str(_CLEANER.clean(html))


def _has_unsafe_url(html: str) -> bool:
    for url in _URL_ATTRIBUTE.findall(html):
        scheme = _SCHEME.match(unescape(url))
        if scheme and scheme.group(1).strip().lower() not in _URL_SCHEMES:
            return True
    return False


def _inline_text(html: str) -> str:
    return " ".join(html_text(html).split())


def _anchor_headings(html: str) -> tuple[str, tuple[Heading, ...]]:
    """Give every heading a unique id; return the `##`/`###` ones as subheadings."""
    found: list[Heading] = []
    used: set[str] = set()

    def anchor(match: re.Match[str]) -> str:
        level, inner = match.group(1), match.group(2)
        text = _inline_text(inner)
        anchor = base = slugify(text) or "section"
        counter = 2
        while anchor in used:
            anchor, counter = f"{base}-{counter}", counter + 1
        used.add(anchor)
        if level in ("2", "3"):
            found.append(Heading(int(level), text, anchor))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    return _HEADING.sub(anchor, html), tuple(found)


def _first_paragraph(html: str) -> str:
    """Text of the first paragraph outside quotes and lists."""
    depth = 0
    for match in _BLOCK_LINE.finditer(html):
        closing, paragraph = match.group(1), match.group(2)
        if paragraph is not None:
            if depth == 0:
                return _inline_text(paragraph)
        else:
            depth += -1 if closing else 1
    return ""


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Cut at a word boundary (or anywhere in CJK text, which has no spaces), adding '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2 and not _CJK.search(cut[space:]):
        cut = cut[:space]
    return cut.rstrip(" ,;:.-—") + "…"

"""Markdown body -> sanitised HTML, subheadings, first paragraph and word count.

`render_body` is a pure function of the text, so the pipeline may cache it by content hash
and run it in worker processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .model import Heading
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


@dataclass(frozen=True, slots=True)
class RenderedBody:
    html: str
    headings: tuple[Heading, ...]
    first_paragraph: str
    word_count: int


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_body(text: str) -> RenderedBody:
    """Render CommonMark; `##`/`###` lines become anchored subheadings."""
    md = _parser()
    tokens = md.parse(text)
    headings = _anchor_headings(tokens)
    html = md.renderer.render(tokens, md.options, {})
    # markdown-it escapes all text and refuses javascript:/vbscript:/file:/data: links by
    # itself; only raw HTML in the source can smuggle anything in, so only then sanitise.
    if _has_raw_html(tokens):
        html = sanitize_html(html)
    return RenderedBody(html, headings, _first_paragraph(tokens), count_words(_all_text(tokens)))


def count_words(text: str) -> int:
    """Whitespace-separated words, plus one per CJK character (those scripts use no spaces)."""
    cjk = len(_CJK.findall(text))
    return cjk + len((_CJK_OR_PUNCTUATION.sub(" ", text) if cjk else text).split())


def _has_raw_html(tokens: list[Token]) -> bool:
    for token in tokens:
        if token.type == "html_block":
            return True
        if token.type == "inline" and any(c.type == "html_inline" for c in token.children or ()):
            return True
    return False


def sanitize_html(html: str) -> str:
    """Strip scripts, event handlers and javascript: URLs; keep the article's markup."""
    return str(
        nh3.clean(
            html,
            attributes=_ATTRIBUTES,
            url_schemes=_URL_SCHEMES,
            link_rel=None,
        )
    )


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content if child.type != "html_inline" else "")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _anchor_headings(tokens: list[Token]) -> tuple[Heading, ...]:
    found: list[Heading] = []
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = _inline_text(tokens[index + 1])
        anchor = base = slugify(text) or "section"
        counter = 2
        while anchor in used:
            anchor, counter = f"{base}-{counter}", counter + 1
        used.add(anchor)
        token.attrSet("id", anchor)
        level = int(token.tag[1])
        if level in (2, 3):
            found.append(Heading(level, text, anchor))
    return tuple(found)


def _first_paragraph(tokens: list[Token]) -> str:
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            return _inline_text(tokens[index + 1])
    return ""


def _all_text(tokens: list[Token]) -> str:
    return " ".join(_inline_text(t) for t in tokens if t.type == "inline")


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

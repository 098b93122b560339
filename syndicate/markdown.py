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

import ctypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import cmarkgfm
import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

from .model import Body, Heading
from .slug import slugify
from .xmlchars import XML_FORBIDDEN, may_hold_forbidden

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

# Each UTF-8 byte as " " (ASCII whitespace to `str.split()`), "n" (a continuation byte,
# which every non-ASCII character has and no word starts with) or "a" (any other byte).
_ASCII_SPACE = b" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_MARKS = bytes(
    ord(" ") if byte in _ASCII_SPACE else ord("n") if 0x80 <= byte < 0xC0 else ord("a")
    for byte in range(256)
)

_EXTENSIONS = ["table", "strikethrough"]
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_TAG_BYTES = re.compile(rb"<[^>]*>")
_PLAIN_ENTITIES = (b"&amp;", b"&lt;", b"&gt;", b"&quot;")
_NOT_MARKUP = bytes(byte for byte in range(256) if byte not in b"<>&")  # deleted, to count
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
    html = _markdown_html(text)
    html, headings = _anchor_headings(html)
    # Only raw HTML (it needs a "<") or a link with a foreign scheme can carry anything
    # dangerous; clean bodies, the common case, skip the sanitiser.
    if "<" in text or _has_unsafe_url(html):
        html = sanitize_html(html)
    # The rest reads the UTF-8 bytes: fewer passes over the ~10 kB, all in C, than the
    # text took (splitting ~1,000 words into strings above all). The sizes are the ones
    # `model.html_sizes(html)` gives.
    data = html.encode("utf-8")
    markup = len(data.translate(None, _NOT_MARKUP))
    links = data.count(b' href="') + data.count(b' src="')
    body = Body(html, headings, size=len(data), markup=markup, links=links)
    return RenderedBody(body, _first_paragraph(html), _count_html_words(data))


class _CmarkMem(ctypes.Structure):
    """cmark's `cmark_mem`: the allocator whose `free` must release what cmark returns."""

    _fields_ = [
        ("calloc", ctypes.c_void_p),
        ("realloc", ctypes.c_void_p),
        ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
    ]


def _cmark_releasers() -> tuple[Callable[[int], None], Callable[[int], None]] | None:
    """(`cmark_node_free`, the allocator's `free`) from cmarkgfm's own extension module.

    cmarkgfm's `markdown_to_html_with_extensions` frees neither the parsed tree nor the
    HTML it copies out: ~30 kB a body that the process never gets back (300 MB a cold
    build of 10,000 articles), and page faults for fresh memory on every body. Its
    binding does not expose the two functions that free them; the library exports them.
    None (then the leaking wrapper is used) where they cannot be found.
    """
    try:
        library = ctypes.CDLL(_cmark.__file__)
        node_free = library.cmark_node_free
        default_mem = library.cmark_get_default_mem_allocator
    except (OSError, AttributeError):
        return None
    node_free.argtypes = [ctypes.c_void_p]
    node_free.restype = None
    default_mem.argtypes = []
    default_mem.restype = ctypes.POINTER(_CmarkMem)
    free: Callable[[int], None] = default_mem().contents.free
    return node_free, free


_LIB, _FFI = _cmark.lib, _cmark.ffi
_OPTIONS = Options.CMARK_OPT_UNSAFE
_LIB.cmark_gfm_core_extensions_ensure_registered()
_SYNTAX_EXTENSIONS = [_LIB.cmark_find_syntax_extension(name.encode()) for name in _EXTENSIONS]
_RELEASERS = _cmark_releasers() if _FFI.NULL not in _SYNTAX_EXTENSIONS else None


def _xml_safe(html: bytes, *, references: bool) -> str:
    """cmark's HTML as text, with what XML cannot hold replaced by U+FFFD.

    A character reference decodes to any code point: `&#x1b;` to a control character,
    and `&#xFFFE;` / `&#xFFFF;` to a lone byte that is not even UTF-8 (a cmark bug).
    Neither may reach a page or a feed; the rest of the article is fine, so it stays.
    Only numeric references (`references`: the text holds "&#") can make them: the
    reader refuses the characters themselves.
    """
    text = html.decode("utf-8", "replace")
    if references and may_hold_forbidden(html):
        return XML_FORBIDDEN.sub("\ufffd", text)
    return text


def _markdown_html(text: str) -> str:
    """`cmarkgfm.markdown_to_html_with_extensions(text, _OPTIONS, _EXTENSIONS)`, the same
    calls in the same order, plus freeing the tree and the HTML afterwards."""
    if _RELEASERS is None:
        html: str = cmarkgfm.markdown_to_html_with_extensions(
            text, options=_OPTIONS, extensions=_EXTENSIONS
        )
        return html
    node_free, free = _RELEASERS
    data = text.encode("utf-8")
    parser = _LIB.cmark_parser_new(_OPTIONS)
    try:
        for extension in _SYNTAX_EXTENSIONS:
            _LIB.cmark_parser_attach_syntax_extension(parser, extension)
        _LIB.cmark_parser_feed(parser, data, len(data))
        root = _LIB.cmark_parser_finish(parser)  # the caller's to free
        if _LIB.cmark_node_get_type(root) == _LIB.CMARK_NODE_NONE:
            raise ValueError("Error parsing markdown!")  # as cmarkgfm says it
        try:
            extensions = _LIB.cmark_parser_get_syntax_extensions(parser)
            raw = _LIB.cmark_render_html(root, _OPTIONS, extensions)
            try:
                return _xml_safe(_FFI.string(raw), references=b"&#" in data)
            finally:
                free(int(_FFI.cast("uintptr_t", raw)))
        finally:
            node_free(int(_FFI.cast("uintptr_t", root)))
    finally:
        _LIB.cmark_parser_free(parser)


def count_words(text: str) -> int:
    """Whitespace-separated words, plus one per CJK character (those scripts use no spaces)."""
    return _count_words_in_utf8(text.encode("utf-8", "surrogatepass"))


def _count_html_words(html: bytes) -> int:
    """`count_words(html_text(...))` of UTF-8 HTML, without decoding it when it can.

    With tags gone (`_TAG` finds the same ones in the bytes as in the text), only
    entities stand between the bytes and the text. The escapes cmark and nh3 write,
    `&amp;` `&lt;` `&gt;` `&quot;`, each decode to one ASCII character that is no space,
    so they leave the words as they are; any other entity means decoding first.
    """
    stripped = _TAG_BYTES.sub(b"", html)
    amp = stripped.find(b"&")
    while amp >= 0:
        if not stripped.startswith(_PLAIN_ENTITIES, amp):
            return count_words(unescape(stripped.decode("utf-8", "surrogatepass")))
        amp = stripped.find(b"&", amp + 4)
    return _count_words_in_utf8(stripped, entities=True)


def _count_words_in_utf8(data: bytes, *, entities: bool = False) -> int:
    """`count_words` of UTF-8 `data` (holding only `_PLAIN_ENTITIES` if `entities`)."""
    # One byte a character class, counted in C: splitting ~1,000 words into strings cost
    # 4x more. Words are the runs between ASCII whitespace; each starts with an "a".
    marks = data.translate(_MARKS)
    words = marks.count(b" a") + (marks[:1] == b"a")
    # Only the few runs holding non-ASCII characters need a closer look: CJK characters
    # count one each, and whitespace beyond ASCII (rare) splits a run into words.
    found = marks.find(b"n")
    while found >= 0:
        start = marks.rfind(b" ", 0, found) + 1
        end = marks.find(b" ", found)
        if end < 0:
            end = len(marks)
        run = data[start:end].decode("utf-8", "surrogatepass")
        if entities:
            run = unescape(run)
        words += sum(1 if word.isascii() else _count_non_ascii(word) for word in run.split()) - 1
        found = marks.find(b"n", end)
    return words


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
    if "<" not in html and "&" not in html:  # most headings: no tags or entities to drop
        return " ".join(html.split())
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
    if html.startswith("<p>"):  # most bodies: it is the first block
        end = html.find("</p>", 3)
        if end >= 0:
            return _inline_text(html[3:end])
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

"""Body rendering: safe HTML whether or not the source contains raw HTML."""

from __future__ import annotations

import os
import re

import cmarkgfm
import html5lib
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.markdown import (
    _RELEASERS,
    _anchor_headings,
    _inline_text,
    _markdown_html,
    count_words,
    html_text,
    render_body,
    shorten,
)
from syndicate.model import html_sizes


def parse(fragment: str) -> list[str]:
    tree = html5lib.parseFragment(fragment, namespaceHTMLElements=False)
    return [el.tag for el in tree.iter() if isinstance(el.tag, str)]


def test_javascript_links_never_survive_without_raw_html() -> None:
    body = render_body("[click](javascript:alert(1)) and ![x](vbscript:y) <not a tag\n").body
    assert "href" not in body.html and "src" not in body.html  # left as plain text
    assert "&lt;not a tag" in body.html


def test_raw_html_is_sanitised() -> None:
    body = render_body(
        'Hi <img src=x onerror="alert(1)"> <a href="javascript:alert(1)">x</a>\n\n'
        "<script>alert(2)</script>\n\n<iframe src=//evil></iframe>\n"
    ).body
    tags = parse(body.html)
    assert "script" not in tags and "iframe" not in tags
    assert "onerror" not in body.html and "javascript:" not in body.html


def test_headings_get_unique_anchors() -> None:
    body = render_body("## Results\n\n## Results\n\n### 结果\n").body
    assert [h.anchor for h in body.headings] == ["results", "results-2", "jie-guo"]


def test_word_count_handles_cjk_and_punctuation() -> None:
    assert count_words("Sora can write, shoot and edit.") == 6
    assert count_words("人工智能视频。") == 6
    assert count_words("AI 视频 tools") == 4


def test_shorten_cuts_at_a_word_boundary() -> None:
    text = "word " * 100
    short = shorten(text, 50)
    assert len(short) <= 50 and short.endswith("…") and not short.endswith(" …")


# The renderer reads anchors, word counts and sizes back from the HTML with byte-level
# shortcuts; these tests hold each shortcut to the plain definition it replaces.

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_OR_PUNCTUATION = re.compile(
    r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
# Every kind of character the counting treats differently: ASCII and Unicode whitespace
# (str.split() splits on \x1c-\x1f, NBSP, U+3000...), CJK, CJK punctuation, other scripts,
# entities and tags.
TEXT_PIECES = ["word", "AI", "5G", "é", "Ünïcode", "视频", "人工智能", "。", "，", "ｱ", "한글",
               "—", "“q”", " ", "  ", "\n", "\t", "\r", "\x0b", "\x1c", "\x1f", "\x85", "\xa0",
               "\u1680", "\u2003", "\u2028", "\u202f", "\u3000", "&", "&amp;", "&lt;", "&quot;",
               "&nbsp;", "&#32;", "&#x4e2d;", "&copy;", "<", ">", "\ud800"]  # fmt: skip
MARKDOWN_PIECES = [*TEXT_PIECES[:-1], "\n\n", "# ", "## ", "### ", "\n## Results\n",
                   "\n### 结果\n", "\n#### R&amp;D\n", "<b>", "</b>", "<em>x</em>", "<words>",
                   "<h2>", "</h2>", "<h3>raw</h3>", "<h7>", "<h", "</h2 >", "\n> quote\n",
                   "\n- item\n", "\n1. one\n", "`code`", "[link](http://x.com)",
                   "[js](javascript:alert(1))", "![i](/a.png)", '<a href="x">y</a>',
                   "<img src=x>", "<script>z</script>", "**b**", "~~s~~", "<p>", "</p>",
                   "\n| a | b |\n|---|---|\n| 1 | 2 |\n"]  # fmt: skip
HEADING_PIECES = ["<h1>", "<h2>", "<h3>", "<h6>", "<h7>", "<h", "<hr>", "</h1>", "</h2>",
                  "</h3>", "</h6>", "Title", "Results", "结果", " ", "\n", "<em>a</em>",
                  "&amp;", "<p>", "</p>", "x"]  # fmt: skip


def texts(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=30).map("".join)


def reference_count_words(text: str) -> int:
    """The definition: split on whitespace; a word with CJK counts its CJK characters
    plus the pieces between them and CJK punctuation."""
    total = 0
    for word in text.split():
        cjk = len(_CJK.findall(word))
        total += cjk + len(_CJK_OR_PUNCTUATION.sub(" ", word).split()) if cjk else 1
    return total


@settings(max_examples=1000, deadline=None)
@given(texts(TEXT_PIECES))
def test_word_count_follows_its_definition(text: str) -> None:
    assert count_words(text) == reference_count_words(text)


@settings(max_examples=600, deadline=None)
@given(texts(MARKDOWN_PIECES))
def test_a_rendered_body_counts_and_measures_its_own_html(text: str) -> None:
    rendered = render_body(text)
    html = rendered.body.html
    assert rendered.word_count == reference_count_words(html_text(html))
    body = rendered.body
    assert (body.size, body.markup, body.links) == html_sizes(html)
    assert (body.size, body.markup, body.links) == (
        len(html.encode("utf-8")),
        html.count("<") + html.count(">") + html.count("&"),
        html.count(' href="') + html.count(' src="'),
    )


@settings(max_examples=800, deadline=None)
@given(texts(HEADING_PIECES))
def test_heading_text_shortcut_gives_the_plain_definition(html: str) -> None:
    """Heading and lede text skip tag stripping when there is nothing to strip."""
    assert _inline_text(html) == " ".join(html_text(html).split())


def test_headings_inside_raw_html_and_unclosed_ones() -> None:
    html, headings = _anchor_headings("<h2>A</h3> <h2>B</h2><h7>x</h7><h2>A</h2><h1>A\n</h1>")
    # The first <h2> runs to the first </h2>, across the stray </h3>; <h7> is no heading.
    assert html == ('<h2 id="a-b">A</h3> <h2>B</h2><h7>x</h7>'
                    '<h2 id="a">A</h2><h1 id="a-2">A\n</h1>')  # fmt: skip
    assert [(h.level, h.text, h.anchor) for h in headings] == [(2, "A B", "a-b"), (2, "A", "a")]


def test_first_paragraph_skips_quotes_and_lists_and_keeps_inline_text() -> None:
    assert render_body("> quoted\n\n- item\n\nThe *lede* &amp; more\n").first_paragraph == (
        "The lede & more"
    )
    assert render_body("Lede  with\nbreak\n\nSecond\n").first_paragraph == "Lede with break"
    assert render_body("# Only a heading\n").first_paragraph == ""


def test_word_count_sees_entities_that_are_spaces() -> None:
    # &nbsp; and &#32; separate words once decoded; &amp; does not.
    assert render_body("one&nbsp;two&#32;three R&amp;D\n").word_count == 4
    assert render_body("one&nbsp;two <b>x</b>\n").word_count == 3  # sanitised: nh3 path


def test_cmark_output_is_the_wrappers_and_its_memory_is_returned() -> None:
    text = ("# T\n\n| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n<div>raw</div>\n\n"
            "para 视频 [l](http://x)\n") * 20  # fmt: skip
    expected = cmarkgfm.markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_UNSAFE, extensions=["table", "strikethrough"]
    )
    assert _markdown_html(text) == expected
    assert "<table>" in expected and "<del>2</del>" in expected
    # cmarkgfm's wrapper never frees the tree or the HTML (~100 kB a call for this text);
    # the direct calls must, so rendering it 1,000 times barely grows the process.
    assert _RELEASERS is not None
    before = _resident_bytes()
    for _ in range(1000):
        _markdown_html(text)
    assert _resident_bytes() - before < 20_000_000


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

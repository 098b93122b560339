"""Body rendering: safe HTML whether or not the source contains raw HTML."""

from __future__ import annotations

import html5lib

from syndicate.markdown import count_words, render_body, shorten


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

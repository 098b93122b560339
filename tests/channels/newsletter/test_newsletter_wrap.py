"""Display-width wrapping: Chinese counts two columns, URLs stay whole, kinsoku holds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from syndicate_channels.newsletter.wrap import display_width, wrap_line, wrap_text
from wcwidth import wcswidth

CHINESE = (
    "中国人工智能产业发展联盟发布报告：文本生成视频技术将在未来三年内重塑影视后期制作流程，"
    "专家称编剧与导演岗位面临深刻变化。"
)
URL = "https://news.example.com/finance/financial-focus/sora-film-industry-and-the-jobs-it-takes/"


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("AI技术") == 2 + 2 * 2
    assert display_width(CHINESE) == wcswidth(CHINESE) == 2 * len(CHINESE)


def test_chinese_paragraph_fills_lines_by_columns_not_characters() -> None:
    lines = wrap_line(CHINESE, 72)
    assert all(display_width(line) <= 72 for line in lines)
    assert display_width(lines[0]) >= 70  # full lines, not 72 code points
    assert "".join(lines) == CHINESE
    assert not any(line[0] in "，。：" for line in lines)  # no line starts with punctuation


def test_url_is_never_broken_and_moves_to_its_own_line() -> None:
    text = "Read the whole story with all the numbers and charts at " + URL + " today."
    lines = wrap_line(text, 72)
    assert URL in lines  # alone on its line, even though wider than 72
    assert all(display_width(line) <= 72 for line in lines if line != URL)


def test_link_reference_keeps_its_marker_and_url_intact() -> None:
    short = "https://news.example.com/finance/financial-focus/sme-fast-lane-loans/"
    assert wrap_text(f"[8] {short}", 72) == f"[8] {short}"  # 73 columns: within 78
    wrapped = wrap_text(f"[12] {URL}", 72).split("\n")
    assert wrapped == ["[12]", URL]


def test_reference_marker_never_starts_a_line_alone() -> None:
    lines = wrap_line("Hexian Semiconductor adds a second advanced-packaging line in Taichung [2]")
    assert lines[-1] == "Taichung [2]"


def test_hanging_indent_for_long_marked_lines() -> None:
    text = "- " + "word " * 30
    lines = wrap_text(text.strip(), 40).split("\n")
    assert lines[0].startswith("- ")
    assert all(line.startswith("  ") for line in lines[1:])
    assert all(display_width(line) <= 40 for line in lines)


def test_short_lines_are_left_exactly_as_written() -> None:
    text = "-- \n  indented line\n[1] https://a.example/"
    assert wrap_text(text, 72) == text


words = st.one_of(
    st.text(alphabet="abcdefghij", min_size=1, max_size=15),
    st.text(alphabet="中文字新闻报道，。", min_size=1, max_size=20),
    st.builds(lambda s: f"https://example.com/{s}", st.text(alphabet="abc/-", max_size=90)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=1, max_size=40), st.integers(min_value=20, max_value=78))
def test_wrapped_lines_fit_and_lose_nothing(parts: list[str], width: int) -> None:
    text = " ".join(parts)
    lines = wrap_line(text, width)
    for line in lines:
        if display_width(line) > width:  # only a lone URL may overflow
            assert re.fullmatch(r"https://example\.com/\S*", line), line
    assert "".join("".join(lines).split()) == "".join(text.split())
    urls = [p for p in parts if p.startswith("https://")]
    for url in urls:
        assert any(url in line.split() for line in lines)

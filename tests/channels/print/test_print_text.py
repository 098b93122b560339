"""Dek cutting and line wrapping for Latin and CJK text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from syndicate_channels.print.text import ELLIPSIS, cut, estimate_width, is_cjk, wrap

LONG = (
    "Will Sora become a director, a screenwriter, then unemployed? Industry figures weigh "
    "what text-to-video means for post-production houses and the freelancers they employ"
)
CHINESE = (
    "人工智能视频模型发布后，影视行业从业者开始担心后期制作岗位会不会被取代，"
    "业内人士表示短期内难以完全取代人工"
)


def test_short_text_is_kept_whole_with_spaces_normalised() -> None:
    assert cut("  A  short\n dek ", 40) == "A short dek"


def test_latin_is_cut_at_a_word_boundary() -> None:
    result = cut(LONG, 60)
    assert len(result) <= 60
    assert result.endswith(ELLIPSIS)
    kept = result.removesuffix(ELLIPSIS)
    assert LONG.startswith(kept)
    # the cut falls between words: the original continues with a space (or punctuation)
    assert LONG[len(kept)] in " ,?"
    assert len(kept) > 40  # and not absurdly early


def test_chinese_is_cut_by_characters_to_the_exact_limit() -> None:
    result = cut(CHINESE, 20)
    assert len(result) == 20
    assert result == CHINESE[:19] + ELLIPSIS


def test_mixed_text_breaks_after_a_cjk_character_rather_than_inside_a_word() -> None:
    assert cut("中文ABCDEFGHIJ more", 8) == "中文" + ELLIPSIS


def test_one_overlong_word_is_cut_inside() -> None:
    assert cut("x" * 50, 10) == "x" * 9 + ELLIPSIS


@given(st.text(min_size=0, max_size=400), st.integers(min_value=2, max_value=300))
def test_cut_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(cut(text, limit)) <= limit


def test_wrap_keeps_every_line_within_the_column_and_loses_no_word() -> None:
    lines = wrap(LONG, estimate_width, 14)
    assert len(lines) > 3
    assert all(estimate_width(line) <= 14 for line in lines)
    assert " ".join(lines) == LONG


def test_wrap_chinese_breaks_between_characters() -> None:
    lines = wrap(CHINESE, estimate_width, 10)
    assert "".join(lines) == CHINESE
    assert all(estimate_width(line) <= 10.0 or line[-1] in "，。" for line in lines)
    assert all(len(line) >= 9 for line in lines[:-1])  # full lines, no early breaks
    assert not any(line[0] in "，。、" for line in lines)  # no line starts with punctuation


def test_wrap_with_max_lines_ends_in_an_ellipsis() -> None:
    lines = wrap(LONG, estimate_width, 14, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith(ELLIPSIS)
    assert estimate_width(lines[-1]) <= 14


def test_is_cjk() -> None:
    assert is_cjk("中") and is_cjk("한") and is_cjk("の")
    assert not is_cjk("a") and not is_cjk("é")

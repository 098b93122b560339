"""Cutting and wrapping text for print boxes, for Latin and CJK scripts alike.

CJK text has no spaces: it may break between any two characters (except before closing
punctuation), while Latin words break only at spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache

ELLIPSIS = "…"
_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)
# Characters a line must not start with (kinsoku): they stay on the previous line.
_NO_LINE_START = set("，。、；：！？）」』》〉】”’,.;:!?)]}…")
# Each word (a run of Latin characters, or one CJK character) with the space before it,
# if any; `wrap` normalises spaces first, so a separator is always exactly one " ".
_WORDS = re.compile(rf"( ?)({_CJK.pattern}|[^\s{_CJK.pattern[1:-1]}]+)")
_UP_TO_LAST_CJK = re.compile(rf".*{_CJK.pattern}", re.DOTALL)


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def cut(text: str, limit: int) -> str:
    """At most `limit` characters ('…' included), cut at a word boundary.

    Between CJK characters every position is a boundary; a single Latin word longer
    than the room left is cut inside (the limit is a promise to the layout).
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 0)
    head = text[:room]
    nxt = text[room]
    if head and nxt != " " and not is_cjk(nxt) and not is_cjk(head[-1]):
        # mid-word: back up to the last space or the last CJK character
        boundary = max(head.rfind(" "), _after_last_cjk(head))
        if boundary > 0:
            head = head[:boundary]
    return head.rstrip(" ,;:-—、，；：") + ELLIPSIS


def _after_last_cjk(text: str) -> int:
    """Index just after the last CJK character of `text` (0 if it has none)."""
    match = _UP_TO_LAST_CJK.match(text)
    return match.end() if match else 0


@cache
def _char_width(char: str) -> float:
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in "il.,;:'|! ":
        return 0.3
    if char.isupper() or char in "mwMW@%":
        return 0.7
    return 0.55


@lru_cache(maxsize=1 << 16)
def estimate_width(text: str) -> float:
    """Width in ems, roughly (for SVG, where no font metrics are at hand): wide (CJK)
    characters 1 em, capitals 0.7, narrow marks 0.3, other characters 0.55.

    Cached because `wrap` measures word by word and news text repeats its words: most
    words of a 10,000-article site are measured once.
    """
    return sum(map(_char_width, text))


Measure = Callable[[str], float]


def wrap(text: str, measure: Measure, width: float, max_lines: int | None = None) -> list[str]:
    """Greedy line breaking into lines at most `width` wide.

    `measure` must be additive (the width of a string is the sum over its parts), as
    font metrics without kerning are; then each line is measured once, token by token.
    With `max_lines`, the last line kept ends in '…' when text was left over.
    """
    lines: list[str] = []
    line, line_width = "", 0.0
    space_width = measure(" ")
    for gap, word in _WORDS.findall(" ".join(text.split())):
        word_width = measure(word)
        space = bool(gap and line)  # a space at the start of a line is dropped
        added = word_width + space_width if space else word_width
        if line_width + added <= width or (line and word in _NO_LINE_START):
            # fits, or is closing punctuation, which overhangs rather than start a line
            line = f"{line} {word}" if space else line + word
            line_width += added
            continue
        if line:
            lines.append(line)
        if word_width <= width:  # the usual case: the word starts the next line
            line, line_width = word, word_width
        else:
            line = _hard_break(word, measure, width, lines)
            line_width = measure(line)
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last + ELLIPSIS) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip(" ,;:-—、，") + ELLIPSIS]
    return lines


def _hard_break(word: str, measure: Measure, width: float, lines: list[str]) -> str:
    """Split a word too long for a line (if it is); returns the unfinished last piece."""
    piece, piece_width = "", 0.0
    for char in word:
        char_width = measure(char)
        if piece and piece_width + char_width > width:
            lines.append(piece)
            piece, piece_width = "", 0.0
        piece += char
        piece_width += char_width
    return piece

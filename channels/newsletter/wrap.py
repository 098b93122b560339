"""Plain-text wrapping by display width: CJK counts two columns, URLs never break.

`textwrap` counts code points, so a Chinese headline of 40 characters (80 columns) would
overflow a 72-column mail reader; it also breaks only at spaces, which Chinese text has
none of. Here every wide character is a break opportunity (with the common kinsoku rules
for punctuation), and a URL is one unbreakable word that moves to its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from wcwidth import wcswidth, wcwidth

URL = re.compile(r"[a-z][a-z0-9+.-]*://|mailto:", re.IGNORECASE)  # anywhere in a word
LINK_LINE_LIMIT = 78  # a URL after a "[n] " marker may run to RFC 5322's line limit
_REF = re.compile(r"^\[\d+\][.,;:]?$")
_HANGING = re.compile(r"^(\s*)(\[\d+\] |[-*•] |\d+\. )")
# A line must not start with closing punctuation, nor end with opening punctuation (kinsoku).
_NO_START = set("，。、；：？！）」』】》〉〕］｝・…‥ー’”,.;:!?)]}%")
_NO_END = set("（「『【《〈〔［｛‘“([{")


@lru_cache(maxsize=65536)
def _char_width(char: str) -> int:
    return max(wcwidth(char), 0)


def display_width(text: str) -> int:
    """Terminal columns `text` occupies (East Asian wide and fullwidth characters take 2)."""
    if text.isascii():
        return len(text)
    width = wcswidth(text)
    return width if width >= 0 else sum(_char_width(c) for c in text)


@dataclass(slots=True)
class _Segment:
    text: str
    space_before: bool
    atomic: bool  # a URL: never split, even when wider than the line


def _segments(text: str) -> list[_Segment]:
    segments: list[_Segment] = []
    for word in text.split():
        if _REF.match(word) and segments and not segments[-1].atomic:
            segments[-1].text += " " + word  # a link reference never starts a line alone
            continue
        if URL.search(word):
            segments.append(_Segment(word, True, True))
            continue
        pieces: list[str] = []
        narrow = ""
        for char in word:
            if _char_width(char) == 2:
                if narrow:
                    pieces.append(narrow)
                    narrow = ""
                pieces.append(char)
            else:
                narrow += char
        if narrow:
            pieces.append(narrow)
        merged: list[str] = []
        for piece in pieces:
            if merged and (piece[0] in _NO_START or merged[-1][-1] in _NO_END):
                merged[-1] += piece
            else:
                merged.append(piece)
        for index, piece in enumerate(merged):
            segments.append(_Segment(piece, index == 0, False))
    return segments


def _split_to_fit(text: str, room: int, width: int) -> list[str]:
    """Cut an over-wide word into chunks: the first fits `room`, the others `width`."""
    chunks: list[str] = []
    current, used, limit = "", 0, room
    for char in text:
        w = _char_width(char)
        if current and used + w > limit:
            chunks.append(current)
            current, used, limit = "", 0, width
        current += char
        used += w
    if current:
        chunks.append(current)
    return chunks


def wrap_line(
    text: str, width: int = 72, indent: str = "", hanging: str | None = None
) -> list[str]:
    """One paragraph as lines of at most `width` columns (a lone long URL may exceed it)."""
    later = indent if hanging is None else hanging
    lines: list[str] = []
    current, used, empty = indent, display_width(indent), True
    for segment in _segments(text):
        w = display_width(segment.text)
        gap = 1 if segment.space_before and not empty else 0
        if not empty and used + gap + w > width:
            lines.append(current.rstrip())
            current, used, empty, gap = later, display_width(later), True, 0
        if empty and segment.atomic and used + w <= max(width, LINK_LINE_LIMIT):
            pass  # "[8] https://..." may use the columns up to RFC 5322's 78
        elif empty and used + w > width and segment.atomic:
            # A URL wider than the room left: alone on its own line, from column 0.
            if current.strip():
                lines.append(current.rstrip())
            current, used = "", 0
        elif empty and used + w > width:
            *full, last = _split_to_fit(segment.text, width - used, width - display_width(later))
            for chunk in full:
                lines.append(current + chunk)
                current, used = later, display_width(later)
            current, used, empty = current + last, used + display_width(last), False
            continue
        current += " " * gap + segment.text
        used += gap + w
        empty = False
    if not empty or not lines:
        lines.append(current.rstrip())
    return lines


def wrap_text(text: str, width: int = 72) -> str:
    """Re-wrap only the lines that are too wide, keeping their indentation.

    Runs over the rendered template, so a newsroom's own layout is kept as written while no
    line overflows; a line starting with `[3] ` or `- ` continues under its text.
    """
    out: list[str] = []
    for line in text.split("\n"):
        if display_width(line) <= width:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        marker = _HANGING.match(line)
        hanging = " " * display_width(marker.group(0)) if marker else lead
        if marker:
            out.extend(wrap_line(line[len(marker.group(0)) :], width, marker.group(0), hanging))
        else:
            out.extend(wrap_line(line[len(lead) :], width, lead, hanging))
    return "\n".join(out)

"""ASCII slugs for articles, tags and headings, including non-Latin titles."""

from __future__ import annotations

import re

from anyascii import anyascii

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_length: int = 80) -> str:
    """A lowercase ASCII slug: 'AI & the Future' -> 'ai-the-future', '文生视频' -> 'wenshengshipin'.

    Non-Latin scripts are transliterated (Chinese to pinyin) rather than dropped, so a
    Chinese headline still gets a readable, stable URL.
    """
    if not text.isascii():  # most headlines: skip the character-by-character pass
        text = "".join(_transliterate(ch) for ch in text)
    ascii_text = text.lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-")


def _transliterate(char: str) -> str:
    if char.isascii():
        return char
    ascii_char = anyascii(char)
    # Syllabic scripts (Chinese, Japanese, Korean) become one word per character.
    return f" {ascii_char} " if len(ascii_char) > 1 else ascii_char


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG_PATTERN.match(slug))


def tag_slug(tag: str) -> str:
    """URL-safe name of a tag page or feed; never empty."""
    return slugify(tag) or "tag"


def author_slug(name: str) -> str:
    """URL-safe name of an author page: 'Li Wei' -> 'li-wei', '王海林' -> 'wang-hai-lin'."""
    return slugify(name) or "author"

"""Checks of single values from untrusted input, shared by front matter and config.

Each check raises ValueError with a message that says what is wrong and how to write
it instead; callers put the file, line and key in front. Kept in one place so every
URL field (and every language tag) is held to the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from .xmlchars import XML_FORBIDDEN

WEB_SCHEMES = frozenset({"http", "https"})
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Never valid in a URL (RFC 3986), or read differently by browsers: "\" as "/".
_NOT_IN_URL = frozenset('"<>\\^`{|}')
_ASCII_NOT_IN_URL = re.compile(r'[\x00-\x20\x7f"<>\\^`{|}]')
# `&#106;`, `&#x6a;`, `&colon;`: HTML character references, a classic way to hide a scheme.
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*;)")


def language_tag(value: str) -> str:
    """A BCP 47 tag such as en, zh-Hans or pt-BR (its shape, not the registry)."""
    if not _LANGUAGE.fullmatch(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag such as en or zh-Hans")
    return value


def url(value: str, *, schemes: frozenset[str] = WEB_SCHEMES, relative: bool = True) -> str:
    """`value` when it is an absolute URL with one of `schemes` or (if `relative`) a
    relative path.

    Anything else (`javascript:`, `data:`, `vbscript:`, a scheme hidden behind spaces,
    control characters or character references) is refused, so no channel ever has to
    decide whether a front matter URL is safe to write into a link.
    """
    if not value:
        raise ValueError("is empty")
    bad = _bad_url_character(value)
    if bad is not None:
        raise ValueError(f"{value!r} holds {_describe(bad)}, which a URL cannot")
    entity = _ENTITY.search(value)
    if entity is not None:
        raise ValueError(
            f"{value!r} holds the character reference {entity.group()!r}: write the character"
        )
    scheme = _SCHEME.match(value)
    if scheme is None:
        if value.startswith("//"):
            raise ValueError(f"{value!r} has no scheme: write https://{value[2:]}")
        if not relative:
            raise ValueError(f"{value!r} is not an absolute http:// or https:// URL")
        return value  # a path relative to the site ("/media/a.jpg") or the article
    name = scheme.group(1).lower()
    if name not in schemes:
        allowed = ", ".join(f"{s}:" for s in sorted(schemes))
        raise ValueError(f"{value!r}: {name}: URLs are not allowed (use {allowed} or a path)")
    if name in WEB_SCHEMES and not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]", value):
        raise ValueError(f"{value!r} has no host: write {name}://host/path")
    return value


def web_url(value: str) -> str:
    """An absolute http(s) URL: a link to another site (a story's source)."""
    return url(value, relative=False)


def _bad_url_character(value: str) -> str | None:
    if value.isascii():  # most URLs: one regex search instead of a loop in Python
        found = _ASCII_NOT_IN_URL.search(value)
        return found.group() if found else None
    for char in value:
        if char in _NOT_IN_URL or char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            return char
    return None


def _describe(char: str) -> str:
    if char == " ":
        return "a space (write %20)"
    if char in _NOT_IN_URL:
        return repr(char)
    return f"the character U+{ord(char):04X}"


def forbidden_characters(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key path, character) for every character XML cannot hold in the strings of a
    decoded YAML value, keys included: escapes such as "\\0" or "\\uFFFE" get there even
    though the file's bytes were clean."""
    if isinstance(value, str):
        bad = XML_FORBIDDEN.search(value)
        if bad is not None:
            yield key, bad.group()
    elif isinstance(value, dict):
        for name, item in value.items():
            path = f"{key}.{name}" if key else str(name)
            if isinstance(name, str):
                yield from forbidden_characters(name, path)
            yield from forbidden_characters(item, path)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from forbidden_characters(item, f"{key}[{index}]")

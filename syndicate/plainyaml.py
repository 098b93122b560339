"""A fast reader for the plain YAML most front matter is written in; the rest goes to PyYAML.

PyYAML builds a Python object per node in Python even with libyaml: ~180 µs for a
typical front matter, a fifth of reading an article. Most front matter is simple lines
(`key: value`, `key: [a, "b"]`, one level of nested `key:` blocks and `- item` lists),
which this module reads in a few microseconds. It gives up (returns None) on anything
else, and where it answers, it resolves every scalar with PyYAML's own tables (plain
words that YAML 1.1 reads as booleans, numbers or dates) and builds dates with PyYAML's
own constructor, so its result is the one `yaml.load` would give.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_RESOLVERS = Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = SafeConstructor()

# Characters YAML may read differently from us: anything outside its printable set,
# the line breaks it knows besides "\n" (NEL, LS, PS), tabs and carriage returns.
_UNSAFE_TEXT = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_ITEM_LINE = re.compile(r"- +(.*)")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\["\\])*)"')  # escapes: only \" and \\
_ESCAPE = re.compile(r'\\(["\\])')
_SINGLE_QUOTED = re.compile(r"'([^']*)'")
# ASCII digits only: each text it matches resolves to a YAML 1.1 timestamp.
_ISO_STAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2}))?"
)


class NotPlain(Exception):
    """The text uses YAML this module does not read; PyYAML must."""


def load(text: str) -> dict[str, Any] | None:
    """The mapping `yaml.safe_load(text)` gives, or None when PyYAML must read it."""
    if _UNSAFE_TEXT.search(text):
        return None
    try:
        return _mapping(text.split("\n"))
    except NotPlain:
        return None


def _mapping(lines: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    index = 0
    count = len(lines)
    while index < count:
        line = lines[index]
        index += 1
        if not line or line.isspace():
            continue
        key, value = _key_value(line)
        if value is not None:
            data[key] = _flow_sequence(value) if value[0] == "[" else _scalar(value)
            continue
        block = []
        while index < count and (lines[index].startswith((" ", "-")) or not lines[index]):
            block.append(lines[index])
            index += 1
        data[key] = _block([b for b in block if b.strip()])
    return data


def _key_value(line: str) -> tuple[str, str | None]:
    """`key: value` split as `([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?` would split it, with
    the value's trailing spaces dropped and each key spelling checked once."""
    key, colon, rest = line.partition(":")
    if not colon or not _plain_key(key):
        raise NotPlain  # `on:`, `yes:`, `1:` are not string keys in YAML 1.1
    if not rest:
        return key, None
    if rest[0] != " ":
        raise NotPlain  # `a:b` is one plain scalar, not a key
    return key, rest.strip(" ") or None


@lru_cache(maxsize=1024)
def _plain_key(key: str) -> bool:
    """Keys repeat in every file: check each spelling once."""
    return _KEY.fullmatch(key) is not None and _resolve(key) == _STR


def _block(lines: list[str]) -> Any:
    """What follows `key:` on its own line: nothing, `- item` lines or `sub: value` lines."""
    if not lines:
        return None
    indent = len(lines[0]) - len(lines[0].lstrip(" "))
    if any(len(line) - len(line.lstrip(" ")) != indent for line in lines):
        raise NotPlain  # deeper nesting
    body = [line[indent:] for line in lines]
    if all(line.startswith("-") for line in body):
        items = []
        for line in body:
            match = _ITEM_LINE.fullmatch(line)
            if match is None:
                raise NotPlain
            items.append(_scalar(match.group(1).rstrip(" ")))
        return items
    if indent == 0:
        raise NotPlain
    nested: dict[str, Any] = {}
    for line in body:
        key, value = _key_value(line)
        if value is None:
            raise NotPlain  # deeper nesting
        nested[key] = _flow_sequence(value) if value[0] == "[" else _scalar(value)
    return nested


def _flow_sequence(text: str) -> list[Any]:
    if not text.endswith("]") or text.count("[") != 1 or text.count("]") != 1:
        raise NotPlain
    inner = text[1:-1].strip()
    if not inner:
        return []
    return [_scalar(item.strip(), flow=True) for item in inner.split(",")]


def _quoted(text: str) -> str | None:
    double = _DOUBLE_QUOTED.fullmatch(text)
    if double is not None:
        inner = double.group(1)
        return _ESCAPE.sub(r"\1", inner) if "\\" in inner else inner
    single = _SINGLE_QUOTED.fullmatch(text)
    return single.group(1) if single is not None else None


def _scalar(text: str, *, flow: bool = False) -> Any:
    if not text:
        raise NotPlain
    first = text[0]
    if first == '"' or first == "'":
        # The usual quoted string holds no quote or backslash: no pattern needed.
        if len(text) > 1 and text[-1] == first:
            inner = text[1:-1]
            if first not in inner and "\\" not in inner:
                return inner
        quoted = _quoted(text)
        if quoted is None:
            raise NotPlain
        return quoted
    if first in _INDICATORS or ": " in text or " #" in text or text[-1] == ":":
        raise NotPlain
    # In a flow list a comma inside quotes splits the item into pieces quoted only in part.
    if flow and (":" in text or "#" in text or "'" in text or '"' in text):
        raise NotPlain
    if "[" in text or "]" in text or "{" in text or "}" in text:
        raise NotPlain
    try:
        if _ISO_STAMP.fullmatch(text):  # always a timestamp to YAML 1.1, so skip resolving
            # What PyYAML builds for these forms (a fixed-offset or UTC zone), in C.
            return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        tag = _resolve(text)
        if tag == _STR:
            return text
        if tag != _TIMESTAMP:
            raise NotPlain  # booleans, numbers, nulls: rare in front matter, left to PyYAML
        return _CONSTRUCTOR.construct_yaml_timestamp(ScalarNode(tag, text))
    except ValueError as exc:  # 2024-13-40: let PyYAML report it
        raise NotPlain from exc


def _resolve(text: str) -> str:
    """The tag YAML 1.1 gives a plain scalar: PyYAML's resolver, first match wins."""
    for tag, pattern in _RESOLVERS.get(text[0], ()):
        if pattern.match(text):
            return str(tag)
    return _STR

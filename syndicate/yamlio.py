"""YAML reading with the C loader when libyaml is available (about 7x faster).

`load` refuses documents whose shape could cost far more than their size before any
object is built: aliases that expand to millions of values (a 1 KB "billion laughs"
takes minutes and gigabytes to walk, for fingerprints or JSON) and nesting deep enough
to crash the C composer or blow Python's recursion limit.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # pure Python if no libyaml

MAX_DEPTH = 50  # nested lists and mappings; front matter uses two or three
MAX_VALUES = 10_000  # values after expanding aliases; front matter has tens


# `&name` where a node can start: after a line start, a space, "[", "{" or ",". An "&"
# inside text ("M&A") is no anchor; one counted by mistake only costs the full check.
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&\S")


class TooComplexError(ValueError):
    """A YAML document nests too deeply or its aliases expand to too many values."""


def load(text: str, *, max_values: int = MAX_VALUES, max_depth: int = MAX_DEPTH) -> Any:
    """`yaml.load(text, Loader)`, after checking its shape on the parser's events
    (libyaml's parser keeps no recursion, so this pass is safe on any input)."""
    if not _plainly_small(text, max_values, max_depth):
        check_shape(text, max_values=max_values, max_depth=max_depth)
    return yaml.load(text, Loader=Loader)


def _plainly_small(text: str, max_values: int, max_depth: int) -> bool:
    """True when `text` cannot break either bound, so the check can be skipped (it
    parses the text a second time: 60% more than loading typical front matter).

    With no anchor (`&name` where a value starts) there is no alias to expand, and
    there are no more values than characters. Each level of nesting needs a line, a "[",
    a "{" or a "- " of its own (a "- key:" opens two), so their count bounds the depth.
    """
    if len(text) > max_values or ("&" in text and _ANCHOR.search(text)):
        return False
    opens = text.count("\n") + text.count("[") + text.count("{") + text.count("- ")
    return 2 * opens + 2 <= max_depth


def check_shape(text: str, *, max_values: int, max_depth: int) -> None:
    """Raise TooComplexError when `text` nests deeper than `max_depth` or holds more
    than `max_values` values once every alias is expanded."""
    expanded = 0
    anchored: dict[str, int] = {}  # anchor -> how many values one alias of it stands for
    open_at: list[tuple[str | None, int]] = []  # (anchor, `expanded` when it opened)
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            expanded += 1
            open_at.append((event.anchor, expanded - 1))
            if len(open_at) > max_depth:
                raise TooComplexError(f"lists and mappings nest deeper than {max_depth} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start = open_at.pop()
            if anchor is not None:
                anchored[anchor] = expanded - start
        elif isinstance(event, yaml.ScalarEvent):
            expanded += 1
            if event.anchor is not None:
                anchored[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            expanded += anchored.get(str(event.anchor), 1)
        if expanded > max_values:
            raise TooComplexError(
                f"more than {max_values:,} values once aliases (*name) are expanded"
            )


def yaml_error_line(error: yaml.YAMLError) -> int | None:
    """1-based line of a YAML error, when the parser knows it."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None

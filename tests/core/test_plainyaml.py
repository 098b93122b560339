"""The fast front matter reader must give exactly what PyYAML gives, or step aside."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate import plainyaml
from syndicate.reader import split_front_matter
from syndicate.yamlio import Loader

REPO = Path(__file__).resolve().parents[2]


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 == True, date == datetime? no)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def check(text: str) -> dict[str, Any] | None:
    fast = plainyaml.load(text)
    if fast is None:
        return None
    try:
        expected = yaml.load(text, Loader=Loader)
    except (yaml.YAMLError, ValueError) as exc:
        raise AssertionError(f"PyYAML refuses what the fast reader read: {text!r}") from exc
    assert same(fast, expected or {}), (text, fast, expected)
    return fast


WORDS = [
    "title", "on", "yes", "No", "null", "y", "n", "true", "x-y", "_a", "tags", "a1", "OFF",
    "Port volumes", "2024", "2024-02-20", "2024-02-20T09:30:00+08:00", "2024-2-3 1:02:03",
    "2024-13-40", "2024-02-20T09:30:00Z", "2024-02-20 09:30:00.5 -05:00", "1:20", "0x1F",
    "1e3", ".5", ".inf", "~", "=", "<<", "-", "- x", "C#", "a #b", "a: b", "a:b", "a,b",
    "[x]", "{x}", "'q'", "it''s", '"dq"', '"a\\"b"', "https://example.com/a?b=c#d", "é",
    "周先生", "\t", "\x85", "\u2028", "\ufeff", "%x", "@x", "`x", "!x", "&x", "*x", "|", ">",
    "?", "a ", " a", "", "#", "a\u00a0b", "Li Wei", 'He said "hi"', "Xi's",
    "\u0662\u0660\u0662\u0664-\u0660\u0662-\u0662\u0660", "2024-02-2\u0660",  # Arabic-Indic digits
    "2024-02-20T09:30:00+0800",
    '"', "'", '""', "''", '"a"b"', "'a'b'", '"\\\\"', "x:", "a:b:c", "ab:",
]  # fmt: skip
word = st.sampled_from(WORDS) | st.text(
    alphabet=st.sampled_from(list("aZ09 :-#,'\"[]{}.~!&*|>?%@`\t\\é周")), max_size=12
)


def scalar() -> st.SearchStrategy[str]:
    return st.one_of(
        word,
        word.map(lambda w: f'"{w}"'),
        word.map(lambda w: f"'{w}'"),
    )


def flow() -> st.SearchStrategy[str]:
    return st.lists(scalar(), max_size=4).map(lambda items: "[" + ", ".join(items) + "]")


ODD_LINES = ["", "# note", "  ", "key:", "key: ", "---", "a: b # c", "title:x", "title:  x  ",
             "title:", "a b: c", ":x", "title: x:", "-x: y"]  # fmt: skip


def line(key: st.SearchStrategy[str] = word) -> st.SearchStrategy[str]:
    indent = st.sampled_from(["", " ", "  ", "    "])
    return st.one_of(
        st.tuples(key, scalar()).map(lambda kv: f"{kv[0]}: {kv[1]}"),
        st.tuples(key, flow()).map(lambda kv: f"{kv[0]}: {kv[1]}"),
        st.tuples(key, indent, st.lists(st.tuples(key, scalar()), min_size=1, max_size=3)).map(
            lambda k: f"{k[0]}:\n" + "\n".join(f"{k[1]}{a}: {b}" for a, b in k[2])
        ),
        st.tuples(key, indent, st.lists(scalar(), min_size=1, max_size=3)).map(
            lambda k: f"{k[0]}:\n" + "\n".join(f"{k[1]}- {v}" for v in k[2])
        ),
        st.sampled_from(ODD_LINES),
    )


@settings(max_examples=1500, deadline=None)
@given(st.lists(line(), max_size=6))
def test_the_fast_reader_agrees_with_pyyaml_or_steps_aside(lines: list[str]) -> None:
    check("\n".join(lines))


# Keys the fast reader takes, so that it answers (and is checked) for most examples.
@settings(max_examples=1000, deadline=None)
@given(st.lists(line(st.sampled_from(["title", "tags", "x-y", "_a", "a1", "Tags"])), max_size=4))
def test_with_plain_keys_the_fast_reader_agrees_with_pyyaml(lines: list[str]) -> None:
    check("\n".join(lines))


def test_the_fast_reader_answers_for_the_usual_front_matter() -> None:
    text = (
        'title: "Port volumes: a record"\npublished: 2024-02-20T09:30:00+08:00\n'
        "updated: 2024-02-21 10:00:00\nslug: port-volumes\nsummary: Cranes, ships & more.\n"
        'authors: ["周先生", Li Wei]\nsource:\n  name: "Chongqing Morning Post"\n'
        "  url: https://example.com/p\ntags:\n  - ports\n  - trade\nrelated: []\n"
        "image:\n  src: /img/port.jpg\n  alt: Cranes at dawn\n"
    )
    data = check(text)
    assert data is not None
    assert data["published"] == datetime.fromisoformat("2024-02-20T09:30:00+08:00")
    assert data["tags"] == ["ports", "trade"] and data["related"] == []
    assert check("published: 2024-02-20\n") == {"published": date(2024, 2, 20)}


def test_the_bundled_content_reads_the_same_both_ways() -> None:
    answered = 0
    for file in sorted((REPO / "content").rglob("*.md")):
        split = split_front_matter(file.read_text(encoding="utf-8"))
        if split is not None:
            answered += check(split[0]) is not None
    assert answered >= 10  # the fast path is really taken


def test_characters_yaml_treats_specially_are_left_to_pyyaml() -> None:
    # NEL, LS and PS break lines in YAML (a quoted NEL folds to a space), DEL and CR are
    # refused: answering these from the text would differ from PyYAML.
    for text in ['title: "a\x85b"', "title: a\u2028b", "title: x\u2029y", "title: a\x7fb",
                 "title: a\rb", 'title: "a\u2028b"']:  # fmt: skip
        assert plainyaml.load(text) is None


def test_dates_come_out_as_pyyaml_builds_them() -> None:
    stamps = ["2024-02-20", "2024-02-20T09:30:00Z", "2024-02-20T09:30:00+08:00",
              "2024-02-20T09:30:00-05:30", "2024-02-20T09:30:00-00:00", "2024-2-3 1:02:03",
              "2024-02-20 09:30:00.123456789 +08", "2024-02-20t09:30:00z"]  # fmt: skip
    for stamp in stamps:
        assert check(f"published: {stamp}") is not None, stamp
    for impossible in ["2024-02-30", "2024-13-01T00:00:00Z", "2024-02-20T25:00:00+08:00"]:
        assert plainyaml.load(f"published: {impossible}") is None  # PyYAML reports it

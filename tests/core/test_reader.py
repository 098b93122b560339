"""The content reader: every kind of bad file is a located problem, never a crash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import SiteFactory

from syndicate import yamlio
from syndicate.engine import cachefile
from syndicate.engine.packing import pack_matter, unpack_matter
from syndicate.fields import DECLARED, read_matter
from syndicate.reader import SourceArticle, read_content, read_one, split_front_matter


def problems_for(site: SiteFactory) -> list[str]:
    return [str(p) for p in site.build().problems]


def test_reads_articles_sections_and_skips_underscore_files(site: SiteFactory) -> None:
    site.section("finance", "Finance")
    site.article("finance/financial-focus", "sora-film-industry", title="Sora")
    site.raw("finance/_notes.md", "not an article")
    site.raw(".hidden/secret.md", "---\ntitle: x\n---\n")
    read = read_content(site.content, max_file_bytes=10_000)
    assert [a.path for a in read.articles] == ["finance/financial-focus/sora-film-industry.md"]
    assert read.articles[0].section == "finance/financial-focus"
    assert set(read.sections) == {"finance"}
    assert read.problems == []


def test_front_matter_split_reports_body_line() -> None:
    matter, body, line = split_front_matter("---\ntitle: x\n---\nHello\n") or ("", "", 0)
    assert matter == "title: x\n"
    assert body == "Hello\n"
    assert line == 4


def test_malformed_yaml_names_file_and_line(site: SiteFactory) -> None:
    site.raw("news/bad.md", "---\ntitle: ok\npublished: [unclosed\n---\nBody\n")
    (problem,) = site.build().problems
    assert Path(problem.path).as_posix() == "news/bad.md"
    assert problem.line is not None and problem.line >= 3
    assert "invalid YAML" in problem.message


def test_missing_title_and_date_are_named(site: SiteFactory) -> None:
    site.raw("news/empty-matter.md", "---\nsummary: nothing else\n---\nBody\n")
    messages = problems_for(site)
    assert any("title: is required" in m for m in messages)
    assert any("published: is required" in m for m in messages)
    assert all(m.startswith("news/empty-matter.md") for m in messages)


def test_bad_date_value_points_at_its_line(site: SiteFactory) -> None:
    site.raw("news/when.md", "---\ntitle: t\npublished: next tuesday\n---\nBody\n")
    (problem,) = site.build().problems
    assert problem.line == 3
    assert "ISO 8601" in problem.message


def test_invalid_utf8_names_line(site: SiteFactory) -> None:
    site.raw("news/latin1.md", b"---\ntitle: t\npublished: 2024-02-20\n---\ncaf\xe9\n")
    (problem,) = site.build().problems
    assert "UTF-8" in problem.message and problem.line == 5


def test_control_character_is_rejected(site: SiteFactory) -> None:
    site.raw("news/ctrl.md", "---\ntitle: bell\x07\npublished: 2024-02-20\n---\nBody\n")
    (problem,) = site.build().problems
    assert "U+0007" in problem.message and problem.line == 2


def test_empty_file_and_huge_file(site: SiteFactory) -> None:
    site.raw("news/empty.md", b"")
    site.raw("news/huge.md", b"---\ntitle: t\npublished: 2024-02-20\n---\n" + b"x" * 6_000_000)
    messages = problems_for(site)
    assert any(m.startswith("news/empty.md") and "empty file" in m for m in messages)
    assert any(m.startswith("news/huge.md") and "larger than" in m for m in messages)


def test_missing_front_matter(site: SiteFactory) -> None:
    site.raw("news/plain.md", "Just text\n")
    (problem,) = site.build().problems
    assert "no front matter" in problem.message


def test_one_bad_file_does_not_hide_the_others(site: SiteFactory) -> None:
    site.article("news", "good-one")
    site.raw("news/bad-a.md", "---\ntitle: [\n---\n")
    site.raw("news/bad-b.md", "---\npublished: 2024-02-20\n---\n")
    result = site.build()
    assert {Path(p.path).name for p in result.problems} == {"bad-a.md", "bad-b.md"}
    assert [a.slug for a in result.site.articles] == ["good-one"]


# `fields.Matter` is the one declaration: what it reads, the cache gives back exactly.

MATTERS = [
    "title: T\npublished: 2024-02-20\n",
    "title: T\npublished: 2024-02-20T09:30:00+08:00\nupdated: 2024-02-21T10:00:00Z\n"
    "slug: s\nsummary: A & B\nauthors: Li Wei\ntags: [a, b]\nrelated: []\n"
    "source: Xinhua\nimage: /i.jpg\nlanguage: zh\ncanonical: https://example.com/o\n",
    'title: "周"\npublished: 2024-02-20\nauthors: ["Li Wei", 周先生]\nsource:\n'
    '  name: "Red Star"\n  url: https://example.com/x\nimage:\n  src: /i.jpg\n'
    '  alt: "A"\n  caption: C\n  credit: D\ndesk: metro\nx-y: [1a, b]\nzz: 2024-01-01\n'
    "nested: {a: [1, {b: 2}], c: !!set {x, y}}\n",
]
BAD_MATTERS = {  # each value pydantic converts or refuses, with its message
    "title: ''\npublished: 2024-02-20\n": "title: String should have at least 1 character",
    "title: T\npublished: 2024-02-20\ndraft: 'yes'\n": None,  # pydantic reads 'yes' as True
    "title: T\npublished: '2024-02-20T09:30:00Z'\n": None,  # a quoted date is parsed
    "title: T\npublished: 2024-02-20\nsource:\n  name: N\n  other: x\n": "other: unknown key",
    "title: T\npublished: 2024-02-20\nimage:\n  src: /i.jpg\n  alt: ~\n": "alt: Input should be",
    "title: T\npublished: 2024-02-20\nimage: ''\n": "image.src: is empty",
    "title: T\npublished: next week\n": "ISO 8601",
    "title: T\npublished: 2024-02-20\nsource: ''\n": "source.name: String should have",
    "title: T\npublished: 2024-02-20\ncanonical: /relative\n": "canonical:",
}


@pytest.mark.parametrize("text", MATTERS)
def test_front_matter_comes_back_from_the_cache_exactly(text: str) -> None:
    matter = read_matter(yamlio.load(text))
    again = unpack_matter(cachefile.unpack(cachefile.pack(pack_matter(matter))))
    assert again == matter  # equal values, and equal types: a list is never a tuple
    assert [type(v) for v in again.extra.values()] == [type(v) for v in matter.extra.values()]
    assert list(again.extra) == list(matter.extra)  # same keys, same order


def test_undeclared_keys_are_kept_in_order_and_declared_ones_typed() -> None:
    matter = read_matter(yamlio.load(MATTERS[2]))
    assert list(matter.extra) == ["desk", "x-y", "zz", "nested"]
    assert matter.authors == ("Li Wei", "周先生") and matter.source is not None
    assert matter.source.url == "https://example.com/x"
    assert read_matter(yamlio.load(MATTERS[1])).source.name == "Xinhua"  # type: ignore[union-attr]


@pytest.mark.parametrize("text", list(BAD_MATTERS))
def test_values_needing_conversion_or_an_error(text: str, tmp_path: Path) -> None:
    file = tmp_path / "a.md"
    file.write_text(f"---\n{text}---\nBody\n", encoding="utf-8")
    source, problems = read_one(file, Path("news/a.md"), "news", 100_000)
    expected = BAD_MATTERS[text]
    if expected is None:
        assert problems == [] and source is not None
    else:
        assert source is None and len(problems) == 1 and expected in problems[0].message


def test_every_declared_field_reads_as_an_article_attribute(site: SiteFactory) -> None:
    """What makes adding a field one declaration plus its use in a template."""
    site.article("news", "a", canonical="https://example.com/original", desk="metro")
    (article,) = site.build().site.articles
    for name in DECLARED:
        getattr(article, name)  # a field of its own or the declared front matter's
    assert article.canonical == "https://example.com/original"
    assert article.extra["desk"] == "metro"
    with pytest.raises(AttributeError):
        article.desk  # noqa: B018 - undeclared keys are in `extra`, not attributes


def test_digest_is_of_the_text_after_a_byte_order_mark(tmp_path: Path) -> None:
    text = "---\ntitle: T\npublished: 2024-02-20\n---\nBody 视频\n"
    plain, marked = tmp_path / "plain.md", tmp_path / "marked.md"
    plain.write_bytes(text.encode("utf-8"))
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    digests = []
    for file in (plain, marked):
        source, problems = read_one(file, Path(file.name), "", 100_000)
        assert isinstance(source, SourceArticle) and not problems
        digests.append(source.digest)
    assert digests == [hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()] * 2


def test_whitespace_only_file_is_empty(site: SiteFactory) -> None:
    site.raw("news/blank.md", b" \n\t\r\n")
    (problem,) = site.build().problems
    assert "empty file" in problem.message

"""Short codes: stable under edits, unique across the site, readable from paper."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from syndicate_channels.print import shortlinks
from syndicate_channels.print.shortlinks import ALPHABET, CODE_LENGTH, assign_codes, candidate

from syndicate.model import Article, Body


def _article(slug: str, day: int = 1) -> Article:
    return Article(
        slug=slug, title=slug, section="news", breadcrumb=(),
        published=datetime(2024, 2, day, tzinfo=UTC), updated=None, summary="", authors=(),
        source=None, tags=(), related=(), image=None, language="en",
        url=f"https://news.example.com/news/{slug}/", path=f"news/{slug}/", body=Body(""),
        word_count=0, source_file=f"news/{slug}.md", content_hash="x",
        uid=f"tag:news.example.com,2024-01-01:article/{slug}",
    )  # fmt: skip


def test_codes_use_the_unambiguous_alphabet() -> None:
    code = candidate("tag:news.example.com,2024-01-01:article/a")
    assert re.fullmatch(f"[{ALPHABET}]{{{CODE_LENGTH}}}", code)
    assert not set(code) & set("01ilo")


def test_code_depends_only_on_the_permanent_id() -> None:
    a = _article("a")
    edited = replace(a, title="A new title", published=a.published + timedelta(days=3))
    assert assign_codes([a])["a"] == assign_codes([edited])["a"] == candidate(a.uid)


def test_codes_are_unique_for_many_articles() -> None:
    articles = [_article(f"story-{i}") for i in range(3000)]
    codes = assign_codes(articles)
    assert len(set(codes.values())) == 3000


def test_a_clash_keeps_the_older_articles_code(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shortlinks.candidate

    def clashing(uid: str, attempt: int = 0) -> str:
        return "samecod" if attempt == 0 else real(uid, attempt)

    monkeypatch.setattr(shortlinks, "candidate", clashing)
    old, new = _article("old", day=1), _article("new", day=5)
    alone = assign_codes([old])
    both = assign_codes([new, old])
    assert alone["old"] == both["old"] == "samecod"
    assert both["new"] == real(new.uid, 1)
    assert assign_codes([old, new]) == both  # order of input does not matter

"""The content reader: every kind of bad file is a located problem, never a crash."""

from __future__ import annotations

from pathlib import Path

from conftest import SiteFactory

from syndicate.reader import read_content, split_front_matter


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

"""The model's derived lists must match their plain definitions."""

from __future__ import annotations

from conftest import SiteFactory


def test_section_lists_match_a_plain_filter(site: SiteFactory) -> None:
    for n, section in enumerate(["news", "news/city", "news/city/traffic", "sport", "news"]):
        site.article(section, f"story-{n}", published=f"2024-02-2{n}T09:00:00+08:00")
    built = site.build().site

    for path in ["news", "news/city", "news/city/traffic", "sport", "nowhere", "new"]:
        own = tuple(a for a in built.articles if a.section == path)
        below = tuple(
            a for a in built.articles if a.section == path or a.section.startswith(path + "/")
        )
        assert built.in_section(path, recursive=False) == own
        assert built.in_section(path) == below
    assert [a.slug for a in built.in_section("news")] == [
        "story-4", "story-2", "story-1", "story-0",
    ]  # fmt: skip
    assert built.in_section("") == built.articles


def test_neighbours_are_the_next_newer_and_older_in_the_own_section(site: SiteFactory) -> None:
    for n, section in enumerate(["", "news", "", "news/city", "news", ""]):
        site.article(section, f"story-{n}", published=f"2024-02-2{n}T09:00:00+08:00")
    built = site.build().site
    for article in built.articles:
        own = built.in_section(article.section, recursive=False)
        at = own.index(article)
        newer = own[at - 1] if at else None
        older = own[at + 1] if at + 1 < len(own) else None
        assert built.neighbours(article) == (newer, older)
    assert [a.slug for a in built.in_section("", recursive=False)] == [
        "story-5", "story-2", "story-0",
    ]  # fmt: skip

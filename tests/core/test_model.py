"""The model's derived lists must match their plain definitions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from conftest import SiteFactory

from syndicate.model import Site, SwappedSlugs


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


def lists_of(site: Site) -> dict[str, Any]:
    """Every list a channel can ask the site for, by article identity."""
    return {
        "articles": [id(a) for a in site.articles],
        "by_slug": {slug: id(a) for slug, a in site.by_slug.items()},
        "by_tag": {t: [id(a) for a in arts] for t, arts in site.by_tag.items()},
        "sections": {p: [id(a) for a in site.in_section(p)] for p in site.sections},
        "own": {p: [id(a) for a in site.in_section(p, recursive=False)] for p in site.sections},
        "authors": {s: (n, [id(a) for a in arts]) for s, (n, arts) in site.by_author().items()},
        "neighbours": [[id(n) if n else None for n in site.neighbours(a)] for a in site.articles],
    }


@pytest.fixture
def archive(site: SiteFactory) -> Site:
    """30 stories over nested sections, shared tags and authors (two names of one slug)."""
    sections = ["news", "news/city", "news/city/traffic", "sport", ""]
    for n in range(30):
        when = f"2024-02-01T{n % 24:02d}:{n:02d}:00Z"
        names = ["Ann Lee", "ann lee"][: 1 + n % 2]
        site.article(sections[n % 5], f"story-{n}", published=when, tags=[f"tag-{n % 3}", "all"],
                     authors=names)  # fmt: skip
    built = site.build().site
    built.in_section("news")  # lists worked out already are carried by `replacing`
    built.by_author()
    return built


@pytest.mark.parametrize("slugs", [["story-7"], ["story-0", "story-29"], ["story-3", "story-12"]])
def test_replacing_equals_a_site_built_of_the_swapped_articles(
    archive: Site, slugs: list[str]
) -> None:
    new = {slug: replace(archive.by_slug[slug], title="Edited") for slug in slugs}
    swapped = archive.replacing(new)
    fresh = Site(archive.info, tuple(new.get(a.slug, a) for a in archive.articles),
                 archive.sections, archive.scheduled, archive.expired)  # fmt: skip
    assert lists_of(swapped) == lists_of(fresh)
    assert all(swapped.by_slug[slug] is new[slug] for slug in slugs)
    assert lists_of(archive) != lists_of(swapped)  # the site swapped from stays as it was
    assert swapped.layout() is archive.layout()
    assert swapped.changed_since(archive.version()) == set(slugs)
    assert swapped.changed_since(fresh.version()) is None


def test_a_chain_of_replacings_looks_up_as_built_anew_and_flattens(
    archive: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """by_slug after `replacing` is an overlay on the first site's; past FLATTEN swapped
    articles it is a plain mapping again, and every step still equals a fresh site."""
    monkeypatch.setattr(SwappedSlugs, "FLATTEN", 4)
    site, kinds = archive, []
    for n in range(8):
        slug = f"story-{(n * 7) % 30}"
        site = site.replacing({slug: replace(site.by_slug[slug], title=f"Edit {n}")})
        kinds.append(type(site.by_slug).__name__)
        fresh = Site(archive.info, site.articles, archive.sections, archive.scheduled,
                     archive.expired)  # fmt: skip
        assert lists_of(site) == lists_of(fresh)
        assert site.by_slug.get("no-such-story") is None and "no-such-story" not in site.by_slug
        assert len(site.by_slug) == 30 and list(site.by_slug) == list(fresh.by_slug)
    assert kinds[:4] == ["SwappedSlugs"] * 4 and "mappingproxy" in kinds


def test_replacing_an_article_that_moves_builds_the_lists_anew(archive: Site) -> None:
    moved = replace(archive.by_slug["story-4"], tags=("tag-9",))
    swapped = archive.replacing({"story-4": moved})
    fresh = Site(archive.info, tuple(moved if a.slug == "story-4" else a for a in archive.articles),
                 archive.sections, archive.scheduled, archive.expired)  # fmt: skip
    assert lists_of(swapped) == lists_of(fresh)
    assert [a.slug for a in swapped.by_tag["tag-9"]] == ["story-4"]
    assert swapped.layout() is not archive.layout()  # its pages differ

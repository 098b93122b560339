"""A resident publisher keeps the feeds' plan across an edit that leaves it as it was.

After a headline or body edit, `syndicate watch` does not plan the feeds again: the
pages of the last plan that list the edited article are handed its new version and
rendered with the `FeedBuilder` (and its item and entry caches) of the publish that
planned them. What they write must be the edited article, byte for byte what a cold
build writes; an edit that moves an article's archive entry across a size step (the
archive splits a month by planned sizes) plans anew.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from published import assert_same_output
from syndicate_channels.feeds import FeedsChannel

from syndicate.engine.cache import Resident
from syndicate.pipeline import publish

from .conftest import SPECIAL_TITLE, write_newsroom

NEW_TITLE = "Harbour reopens & more"
MARCH = "2024-03"
LONG_BODY = ("Long reporting " * 120 + "\n\n") * 2


class Publisher:
    """One in-process resident publisher of the feeds, told which files changed."""

    def __init__(self, site: Any) -> None:
        self.site = site
        self.resident = Resident()

    def publish(self, *changed: Path) -> None:
        paths = [str(path) for path in changed] if changed else None
        publish(self.site.config(), channels=["feeds"], resident=self.resident, changed=paths)


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each call of `FeedsChannel.render_site` from now on (a plan made anew)."""
    calls: list[str] = []
    original = FeedsChannel.render_site

    def counting(self: FeedsChannel, site: Any) -> Any:
        calls.append(self.name)
        return original(self, site)

    monkeypatch.setattr(FeedsChannel, "render_site", counting)
    yield calls


def edit_matter(path: Path, **changes: Any) -> Path:
    """Rewrite an article's front matter with `changes` (its body kept as it is)."""
    _, matter, body = path.read_text(encoding="utf-8").split("---\n", 2)
    fields = yaml.safe_load(matter) | changes
    text = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
    path.write_text(f"---\n{text}---\n{body}", encoding="utf-8")
    return path


def edit_body(path: Path, body: str) -> Path:
    _, matter, _ = path.read_text(encoding="utf-8").split("---\n", 2)
    path.write_text(f"---\n{matter}---\n{body}", encoding="utf-8")
    return path


def titles(data: bytes) -> list[str]:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


def assert_matches_cold_build(site: Any) -> None:
    cold = site.root / "cold"
    result = site.cli("-q", "publish", "--channels", "feeds", "--force", "--out", str(cold))
    assert result.exit_code == 0, result.output
    assert_same_output(site.root / "public", cold)


def test_a_headline_edit_keeps_the_feeds_plan_and_shows_the_new_headline(
    site: Any, planned: list[str]
) -> None:
    write_newsroom(site)
    story = site.content / "finance/markets/special-chars.md"
    publisher = Publisher(site)
    publisher.publish()
    assert planned == ["feeds"]
    planned.clear()
    publisher.publish(edit_matter(story, title=NEW_TITLE))
    assert planned == []  # rendered from the last plan, with the kept FeedBuilder
    public = site.root / "public"
    # The site feed, a section's, a tag's and an author's list the story (from the
    # builder's item and entry caches, filled by the first publish): its new version.
    for feed in ("atom.xml", "rss.xml", "finance/markets/atom.xml", "authors/li-wei/rss.xml"):
        shown = titles((public / feed).read_bytes())
        assert NEW_TITLE in shown and SPECIAL_TITLE not in shown, feed
    items = json.loads((public / "feed.json").read_bytes())["items"]
    assert NEW_TITLE in [item["title"] for item in items]
    archived = titles((public / "archive/2024-02/atom.xml").read_bytes())
    assert NEW_TITLE in archived and SPECIAL_TITLE not in archived
    assert_matches_cold_build(site)


def write_big_month(site: Any, **feeds_settings: Any) -> list[Path]:
    """The newsroom with a month of long stories the 40 kB limit splits into pages, one
    story a subscription window lists (limit=1: the others' entries are made per use)."""
    write_newsroom(site, max_bytes=40_000, limit=1, **feeds_settings)
    stories = []
    for n in range(12):
        day = f"{MARCH}-{n + 1:02d}T10:00:00+08:00"
        name, title = f"long-{n:02d}", f"Long story {n:02d}"
        stories.append(site.article("finance", name, LONG_BODY, title=title, published=day))
    return stories


def march_pages(public: Path) -> dict[str, list[str]]:
    """Each archive page of the big month: the headlines it lists."""
    return {
        page.parent.name: titles(page.read_bytes())
        for page in sorted((public / "archive").glob(f"{MARCH}*/atom.xml"))
    }


def test_an_edit_within_a_size_step_keeps_the_split_of_the_month(
    site: Any, planned: list[str]
) -> None:
    stories = write_big_month(site)
    publisher = Publisher(site)
    publisher.publish()
    before = march_pages(site.root / "public")
    assert len(before) > 1  # the month is split
    planned.clear()
    # A headline of the same length: the same planned size, so the same split.
    publisher.publish(edit_matter(stories[3], title="Long story XX"))
    assert planned == []
    after = march_pages(site.root / "public")
    assert sorted(after) == sorted(before)
    assert sum("Long story XX" in shown for shown in after.values()) == 1
    assert not any("Long story 03" in shown for shown in after.values())
    assert_matches_cold_build(site)


def test_an_edit_across_a_size_step_plans_the_archive_anew(site: Any, planned: list[str]) -> None:
    stories = write_big_month(site)
    publisher = Publisher(site)
    publisher.publish()
    planned.clear()
    # 10 kB more of text: more than any size step, so the month's split may move.
    publisher.publish(edit_body(stories[3], LONG_BODY * 3))
    assert planned == ["feeds"]
    pages = march_pages(site.root / "public")
    assert sum("Long story 03" in shown for shown in pages.values()) == 1
    assert all(len(page.read_bytes()) < 40_000 for page in (site.root / "public").rglob("*.xml"))
    assert_matches_cold_build(site)


def test_without_archive_pages_sizes_do_not_plan_the_feeds(site: Any, planned: list[str]) -> None:
    stories = write_big_month(site, archive=False, formats=["rss", "json"])
    publisher = Publisher(site)
    publisher.publish()
    rss = site.root / "public/rss.xml"  # its one item: the newest story
    before = rss.read_bytes().count(b"Long reporting")
    planned.clear()
    publisher.publish(edit_body(stories[-1], LONG_BODY * 3))
    assert planned == []  # only the archive plans by size
    assert rss.read_bytes().count(b"Long reporting") > 2 * before  # the new body
    assert not (site.root / "public/archive").exists()
    assert_matches_cold_build(site)

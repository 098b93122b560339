"""Sitemaps a large site can afford: one per month of publication and one of the list
pages, named by an index, so an edit changes one small file and the index; and the
article fields html plans its pages by (`plan_fields`), which nothing else may move."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import SiteFactory
from syndicate_channels.html.sitemaps import LatestByFile

from syndicate.channel import OutputFile, Page, article_fields

from .conftest import read_sitemaps

BASE = "https://news.example.com/"
# Six stories in three months (the site's time zone is Asia/Taipei, +08:00).
STORIES = {
    "jan-early": "2024-01-05T09:00:00+08:00",
    "jan-late": "2024-01-31T20:00:00+00:00",  # 1 February 04:00 in Taipei
    "feb": "2024-02-10T09:00:00+08:00",
    "mar-1": "2024-03-02T09:00:00+08:00",
    "mar-2": "2024-03-03T09:00:00+08:00",
    "mar-3": "2024-03-04T09:00:00+08:00",
}


def publish(site: SiteFactory) -> dict[str, bytes]:
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code == 0, result.output
    out = site.root / "public"
    return {p.name: p.read_bytes() for p in out.glob("*sitemap*.xml")}


def story(site: SiteFactory, slug: str, **matter: Any) -> Path:
    return site.article("news", slug, f"About {slug}.\n", published=STORIES[slug], **matter)


@pytest.fixture
def months(site: SiteFactory) -> SiteFactory:
    # One story a list page and one a home block: the oldest stories are on no
    # list's first page, as most of a large site's are.
    site.write_config(channels={"html": {"per_page": 1, "home_per_section": 1}})
    site.section("news", "News")
    for slug in STORIES:
        story(site, slug)
    return site


def test_one_sitemap_per_month_of_publication_in_the_index(months: SiteFactory) -> None:
    publish(months)
    index, files = read_sitemaps(months.root / "public")
    # Months in the site's time zone, newest first; then the list pages.
    assert list(index) == [
        "sitemap-2024-03.xml",
        "sitemap-2024-02.xml",
        "sitemap-2024-01.xml",
        "sitemap-lists.xml",
    ]
    assert list(files["sitemap-2024-03.xml"]) == [f"{BASE}news/mar-{n}/" for n in (3, 2, 1)]
    assert set(files["sitemap-2024-02.xml"]) == {f"{BASE}news/feb/", f"{BASE}news/jan-late/"}
    assert set(files["sitemap-2024-01.xml"]) == {f"{BASE}news/jan-early/"}
    assert index["sitemap-2024-03.xml"] == "2024-03-04T09:00:00+08:00"  # its latest change
    assert index["sitemap-2024-02.xml"] == "2024-02-10T09:00:00+08:00"
    # A list page's lastmod is its newest story's: news/ shows only mar-3 (per_page 1).
    assert files["sitemap-lists.xml"] == {
        BASE: "2024-03-04T09:00:00+08:00",
        f"{BASE}news/": "2024-03-04T09:00:00+08:00",
    }


def test_an_edit_changes_only_its_months_sitemap_and_the_index(months: SiteFactory) -> None:
    before = publish(months)
    story(months, "jan-early", updated="2024-03-10T12:00:00+08:00")  # a correction
    after = publish(months)
    assert set(before) == set(after)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"sitemap-2024-01.xml", "sitemap.xml"}
    index, files = read_sitemaps(months.root / "public")
    assert files["sitemap-2024-01.xml"] == {f"{BASE}news/jan-early/": "2024-03-10T12:00:00+08:00"}
    assert index["sitemap-2024-01.xml"] == "2024-03-10T12:00:00+08:00"

    # The newest story is on the home page and news/: their lastmod moves too.
    story(months, "mar-3", updated="2024-03-11T12:00:00+08:00")
    again = publish(months)
    changed = {name for name in again if again[name] != after[name]}
    assert changed == {"sitemap-2024-03.xml", "sitemap-lists.xml", "sitemap.xml"}
    index, files = read_sitemaps(months.root / "public")
    assert files["sitemap-lists.xml"][f"{BASE}news/"] == "2024-03-11T12:00:00+08:00"
    assert index["sitemap-lists.xml"] == "2024-03-11T12:00:00+08:00"


def test_a_month_past_the_protocols_limit_continues_in_parts(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 50,000 URLs (2 here) a month is split; the oldest stories fill the first
    part, so a new story changes only the last one."""
    from syndicate_channels.html import sitemaps

    monkeypatch.setattr(sitemaps, "MAX_URLS", 2)
    site.section("news", "News")
    for day in range(1, 6):
        site.article(
            "news", f"day-{day}", published=f"2024-05-0{day}T09:00:00+08:00", tags=["port"]
        )
    before = publish(site)
    index, files = read_sitemaps(site.root / "public")
    assert list(index) == [
        "sitemap-2024-05.xml",
        "sitemap-2024-05-2.xml",
        "sitemap-2024-05-3.xml",
        "sitemap-lists.xml",
        "sitemap-lists-2.xml",  # home, tags/, news/, tags/port/: two a file
    ]
    assert list(files["sitemap-2024-05.xml"]) == [f"{BASE}news/day-2/", f"{BASE}news/day-1/"]
    assert list(files["sitemap-2024-05-3.xml"]) == [f"{BASE}news/day-5/"]

    site.article("news", "day-6", published="2024-05-06T09:00:00+08:00")
    after = publish(site)
    assert after["sitemap-2024-05.xml"] == before["sitemap-2024-05.xml"]
    assert after["sitemap-2024-05-2.xml"] == before["sitemap-2024-05-2.xml"]
    assert list(read_sitemaps(site.root / "public")[1]["sitemap-2024-05-3.xml"]) == [
        f"{BASE}news/day-6/",
        f"{BASE}news/day-5/",
    ]


def test_a_month_past_50_mb_is_split_by_bytes() -> None:
    """Long URLs: the byte limit splits a month well below 50,000 URLs."""
    from syndicate_channels.html import sitemaps

    class Story:
        def __init__(self, n: int) -> None:
            self.url = f"{BASE}news/{n:05d}-{'x' * 1900}/"

    run: Any = [Story(n) for n in range(30_000, 0, -1)]  # newest first
    parts = sitemaps.month_parts("2024-05", run)
    assert [name for name, _ in parts] == ["sitemap-2024-05.xml", "sitemap-2024-05-2.xml"]
    for _, part in parts:
        lines = [f"<url><loc>{s.url}</loc><lastmod>2024-05-01T09:00:00+08:00</lastmod></url>"
                 for s in part]  # fmt: skip
        assert len(sitemaps._urlset(lines).encode()) <= sitemaps.MAX_BYTES
    first, last = parts[0][1], parts[-1][1]
    assert first[-1] is run[-1] and last[0] is run[0]  # the oldest fill the first part
    assert sorted(id(s) for _, part in parts for s in part) == sorted(map(id, run))


# --- plan_fields ---------------------------------------------------------------------


def plan(site: SiteFactory) -> list[tuple[object, ...]]:
    """What html's `render_site` planned: each raw file's path and bytes; each page's
    name, the stories it lists (in order) and the rest it declared reading."""
    from syndicate.pipeline import make_channels

    (html,) = make_channels(site.config(), ["html"], site.root / "public")
    found: list[tuple[object, ...]] = []
    for item in html.render_site(site.build().site):
        if isinstance(item, OutputFile):
            found.append(("file", item.path, item.content))
        else:
            assert isinstance(item, Page)
            slugs = tuple(a.slug for a in item.reads.articles)
            found.append(("page", item.name, slugs, item.reads.fields, item.reads.parts))
    return found


def test_plan_fields_are_article_fields() -> None:
    from syndicate_channels.html import HtmlChannel

    assert HtmlChannel.plan_fields is not None
    assert set(HtmlChannel.plan_fields) <= article_fields()


# Edits of fields outside plan_fields: headline, summary, body, a correction, language,
# attribution, related stories, a newsroom's own field.
EDITS: list[dict[str, Any]] = [
    {"title": "A new headline"},
    {"summary": "A new summary."},
    {"body": "A rewritten body.\n"},
    {"updated": "2024-03-20T10:00:00+08:00"},
    {"corrections": [{"date": "2024-03-20", "text": "The date was wrong."}]},
    {"language": "zh-Hans"},
    {"source": {"name": "Xinhua"}},
    {"related": ["feb"]},
    {"subtitle": "A newsroom's own field"},
]


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: next(iter(e)))
def test_an_edit_outside_plan_fields_leaves_the_plan_as_it_was(
    months: SiteFactory, edit: dict[str, Any]
) -> None:
    """A resident publisher keeps the last plan after such an edit and re-renders only
    the pages listing the story: the plan (pages, what they list and declare, raw
    files) must be the same as one made anew."""
    edit = dict(edit)
    body = edit.pop("body", "About mar-3.\n")
    for slug in ("mar-3", "jan-early"):  # on the home page and lists; on none
        months.article("news", "mar-3" if slug == "mar-3" else "jan-early",
                       body if slug == "mar-3" else "About jan-early.\n",
                       published=STORIES[slug], tags=["port"], authors=["Li Wei"])  # fmt: skip
    before = plan(months)
    for slug in ("mar-3", "jan-early"):
        text = body if slug == "mar-3" else "About jan-early.\n"
        months.article("news", slug, text, published=STORIES[slug], tags=["port"],
                       authors=["Li Wei"], **edit)  # fmt: skip
    assert plan(months) == before


def test_an_edit_of_a_plan_field_changes_the_plan(months: SiteFactory) -> None:
    """The comparison above can fail: a new tag is a new page."""
    before = plan(months)
    story(months, "jan-early", tags=["port"])
    after = plan(months)
    assert after != before
    assert any(entry[:2] == ("page", "tags/port/index.html") for entry in after)


@dataclass(frozen=True)
class Story:
    modified: datetime


def test_the_latest_change_after_swaps_is_what_max_gives() -> None:
    # LatestByFile looks only at swapped stories when it can: its answer must be what
    # max() gives over them all, the first of equal instants included (the offset it
    # shows is part of the sitemap's bytes).
    rng = random.Random(7)
    zones = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]

    def story() -> Story:
        at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 3))
        return Story(at.astimezone(rng.choice(zones)))

    stories = [story() for _ in range(200)]
    latest = LatestByFile()
    for _ in range(300):
        stories = list(stories)
        for at in rng.sample(range(len(stories)), rng.choice([1, 1, 2, 3, 40])):
            stories[at] = story()
        if rng.random() < 0.3:  # the latest story edited back in time
            first = max(range(len(stories)), key=lambda at: stories[at].modified)
            stories[first] = Story(stories[first].modified - timedelta(hours=9))
        found = latest.of("sitemap-2024-01.xml", stories)  # type: ignore[arg-type]
        expected = max(s.modified for s in stories)
        assert found == expected and found is not None
        assert found.utcoffset() == expected.utcoffset()

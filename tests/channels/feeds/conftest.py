"""Fixtures for the feeds channel tests: a small newsroom published for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from published import output_tree

SPECIAL_TITLE = 'Prices < costs & "margins" aren\'t <b>bold</b>'
CHINESE_TITLE = "文生视频：Sora 会成为导演吗？"
BODY_WITH_LINKS = (
    "Intro with [a relative link](../older-story/) and [a root link](/about/).\n\n"
    "![A chart](chart.png)\n\n"
    "See [the original](https://example.org/x?a=1&b=2) and [a section](#details).\n\n"
    "## Details\n\nMore text.\n"
)


def write_newsroom(site: Any, **feeds_settings: Any) -> None:
    """Sections with subsections, tags, and the awkward articles the issue names."""
    site.section("finance", "Finance", "Money and markets")
    site.section("finance/markets", "Markets")
    site.section("tech", "Technology")
    site.article(
        "finance/markets",
        "older-story",
        "Older text.\n",
        title="An older story",
        published="2024-01-05T08:00:00+08:00",
        tags=["ETF"],
        authors=["Li Wei"],
    )
    site.article(
        "finance/markets",
        "special-chars",
        BODY_WITH_LINKS,
        title=SPECIAL_TITLE,
        published="2024-02-20T09:30:00+08:00",
        updated="2024-02-21T08:00:00+08:00",
        summary="Summary with < and & too",
        authors=["Li Wei", "D'Arcy O'Neil"],
        tags=["AI", "C++ & Rust"],
        related=["older-story"],
        image={"src": "/media/chart.jpg", "alt": "A chart", "caption": "Costs", "credit": "Desk"},
        source={"name": "Chongqing Morning Post", "url": "https://example.com/original/123"},
    )
    site.article(
        "tech",
        "sora-director",
        "正文。\n",
        title=CHINESE_TITLE,
        published="2024-02-19T10:00:00+08:00",
        tags=["AI", "影视"],
        source={"name": "Red Star Journalism"},
    )
    site.article(
        "finance",
        "fund-flows",
        "Plain finance body.\n",
        title="Fund flows",
        published="2023-12-30T23:30:00+08:00",
        image={"src": "media/flows.png", "alt": "Flows"},
    )
    site.static("media/chart.jpg")  # the lead images exist: feeds point at them
    site.raw("finance/media/flows.png", b"\x89PNG")
    if feeds_settings:
        site.write_config(channels={"feeds": feeds_settings})


def read_tree(root: Path) -> dict[str, bytes]:
    return output_tree(root)


def feed_files(public: Path) -> dict[str, bytes]:
    return {
        path: data
        for path, data in read_tree(public).items()
        if path.endswith(("atom.xml", "rss.xml", "feed.json"))
    }


@pytest.fixture
def publish(site: Any) -> Callable[..., dict[str, bytes]]:
    """Run `syndicate publish --channels feeds` and return every output file."""

    def run(*args: str) -> dict[str, bytes]:
        result = site.cli("publish", "--channels", "feeds", *args)
        assert result.exit_code == 0, result.output
        return read_tree(site.root / "public")

    return run


class Newsroom:
    """What tests need to know about the site `write_newsroom` makes."""

    special_title = SPECIAL_TITLE
    chinese_title = CHINESE_TITLE

    def __init__(self, site: Any) -> None:
        self.site = site

    def write(self, **feeds_settings: Any) -> None:
        write_newsroom(self.site, **feeds_settings)

    @property
    def public(self) -> Path:
        return Path(self.site.root) / "public"

    def feeds(self) -> dict[str, bytes]:
        return feed_files(self.public)

    def tree(self) -> dict[str, bytes]:
        return read_tree(self.public)


@pytest.fixture
def newsroom(site: Any) -> Newsroom:
    return Newsroom(site)

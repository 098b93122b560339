"""Scheduled stories: in no output of any channel before their time, in all of them after."""

from __future__ import annotations

from pathlib import Path

import feedparser
from conftest import SiteFactory
from rules_helpers import (
    Partner,
    all_channels,
    go,
    mentioning,
    newsletter_text,
    output_files,
)

TITLE = "Harbour deal signed"
TIME = "2030-06-01T06:00:00+08:00"
BEFORE = "2030-06-01T05:59:59+08:00"


def newsroom(site: SiteFactory, partner_url: str = "http://127.0.0.1:9/hook") -> None:
    site.section("finance", "Finance")
    site.article("finance", "older", "An older story.\n", published="2030-05-30T09:00:00+08:00",
                 tags=["harbour"])  # fmt: skip
    site.article("finance", "harbour-deal", "The deal was signed at dawn.\n", title=TITLE,
                 published=TIME, tags=["harbour"], authors=["Li Wei"])  # fmt: skip
    site.article("finance", "referrer", "See the deal.\n", related=["harbour-deal"],
                 published="2030-05-29T09:00:00+08:00")  # fmt: skip
    all_channels(site, partner_url)


def test_a_scheduled_story_is_nowhere_before_its_time_and_everywhere_after(
    site: SiteFactory, tmp_path: Path, partner: Partner
) -> None:
    newsroom(site, partner.url)
    checked = site.cli("check", "--now", BEFORE)
    assert checked.exit_code == 0, checked.output
    assert f"scheduled {TIME}  finance/harbour-deal.md" in checked.output

    early = go(site, "publish", "--now", BEFORE)
    assert "warning: finance/referrer.md:" in early.output
    assert f"'harbour-deal' is scheduled for {TIME}" in early.output
    assert f"next scheduled story goes out at {TIME}" in early.output
    files = output_files(site)
    assert len(files) > 30
    uid = "tag:news.example.com,2024-01-01:article/harbour-deal"
    for needle in (TITLE, "harbour-deal", uid):
        assert mentioning(files, needle) == set(), needle
    go(site, "push")
    assert len(partner.statuses()) == 2 and uid not in partner.statuses()
    assert TITLE not in newsletter_text(site, tmp_path / "early", BEFORE)

    on_time = go(site, "publish", "--now", TIME)  # not "nothing changed": time moved on
    assert "nothing changed" not in on_time.output and "warning" not in on_time.output
    files = output_files(site)
    found = mentioning(files, TITLE)
    for path in (
        "index.html",  # home page
        "finance/index.html",
        "finance/harbour-deal/index.html",
        "finance/referrer/index.html",  # related news
        "finance/older/index.html",  # previous/next
        "tags/harbour/index.html",
        "authors/li-wei/index.html",
        "atom.xml",
        "rss.xml",
        "feed.json",
        "finance/atom.xml",
        "archive/2030-06/atom.xml",
        "print/harbour-deal/snippet.txt",
    ):
        assert path in found, path
    assert "finance/harbour-deal/" in files["sitemap-2030-06.xml"].decode()  # its month's
    short = [p for p in mentioning(files, "finance/harbour-deal/") if p.startswith("s/")]
    assert short, "a short link redirecting to the story"
    parsed = feedparser.parse(files["atom.xml"])
    assert parsed.entries[0].title == TITLE and parsed.entries[0].id == uid
    go(site, "push")
    assert partner.statuses()[uid] == ["usable"]
    assert TITLE in newsletter_text(site, tmp_path / "on-time", TIME)

    again = go(site, "publish", "--now", "2030-06-01T07:00:00+08:00")
    assert "nothing changed" in again.output  # nothing else was scheduled


def test_a_rehearsal_in_the_future_does_not_leave_the_live_site_there(site: SiteFactory) -> None:
    newsroom(site)
    go(site, "publish", "--now", TIME)
    assert mentioning(output_files(site), TITLE)
    go(site, "publish", "--now", BEFORE)  # back to the present: the story goes back out
    assert not mentioning(output_files(site), TITLE)


def test_preview_with_future_shows_scheduled_stories(site: SiteFactory, tmp_path: Path) -> None:
    newsroom(site)
    preview = tmp_path / "preview"
    go(site, "publish", "--channels", "html,feeds", "--future", "--now", BEFORE,
       "--out", str(preview))  # fmt: skip
    assert TITLE in (preview / "finance/harbour-deal/index.html").read_text("utf-8")
    go(site, "publish", "--channels", "html,feeds", "--now", BEFORE, "--out", str(preview))
    assert not (preview / "finance/harbour-deal/index.html").exists()


def test_now_must_have_an_offset(site: SiteFactory) -> None:
    newsroom(site)
    result = site.cli("publish", "--now", "2030-06-01T06:00:00")
    assert result.exit_code == 2 and "has no UTC offset" in result.output

"""Takedowns never wait: one publish removes a story everywhere, whoever lists it."""

from __future__ import annotations

from pathlib import Path

from conftest import SiteFactory
from rules_helpers import (
    Partner,
    all_channels,
    go,
    mentioning,
    newsletter_text,
    output_files,
)

TITLE = "Disputed harbour report"
UID = "tag:news.example.com,2024-01-01:article/disputed"
NOW = "2030-06-02T08:00:00+08:00"


def test_deleting_a_story_five_others_relate_to_takes_it_down_in_one_publish(
    site: SiteFactory, partner: Partner, tmp_path: Path
) -> None:
    site.section("finance", "Finance")
    story = site.article("finance", "disputed", "Claims.\n", title=TITLE, tags=["harbour"],
                         published="2030-06-01T09:00:00+08:00")  # fmt: skip
    referrers = [f"finance/follow-up-{n}.md" for n in range(5)]
    for n in range(5):
        site.article("finance", f"follow-up-{n}", f"Follow-up {n}.\n", related=["disputed"],
                     published=f"2030-05-2{n}T09:00:00+08:00")  # fmt: skip
    all_channels(site, partner.url)
    go(site, "publish", "--now", NOW)
    go(site, "push")
    assert partner.statuses()[UID] == ["usable"]
    before = mentioning(output_files(site), TITLE)
    assert {"finance/disputed/index.html", "atom.xml", "print/disputed/snippet.txt"} <= before
    assert {f"{r[:-3]}/index.html" for r in referrers} <= before  # related news lists it
    short = {p for p in mentioning(output_files(site), "finance/disputed/") if p.startswith("s/")}
    assert short

    story.unlink()  # legal says: take it down, now
    result = go(site, "publish", "--now", NOW)
    warned = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert sorted(line.split(":")[1].strip() for line in warned) == referrers
    assert all("unknown slug 'disputed'" in line for line in warned)
    files = output_files(site)
    for needle in (TITLE, "finance/disputed/", UID):
        assert mentioning(files, needle) == set(), needle
    assert not short & set(files)  # its short link is gone too
    go(site, "push")
    assert partner.statuses()[UID] == ["usable", "canceled"]
    assert TITLE not in newsletter_text(site, tmp_path / "nl", NOW)
    check = site.cli("check", "--now", NOW)
    assert check.exit_code == 0 and "5 problem(s) found" in check.output
    assert site.cli("check", "--strict", "--now", NOW).exit_code == 1
    strict = site.cli("publish", "--strict", "--force", "--now", NOW)
    assert strict.exit_code == 1 and "nothing was published" in strict.output

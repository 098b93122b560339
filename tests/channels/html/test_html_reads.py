"""The HTML channel declares what its pages show: a body edit re-renders the article's
own page only, a headline edit every page that shows the headline."""

from __future__ import annotations

import re

from conftest import SiteFactory


def reused(site: SiteFactory) -> int:
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code == 0, result.output
    found = re.search(r"(\d+) pieces reused", result.output)
    assert found, result.output
    return int(found[1])


def test_a_body_edit_re_renders_only_the_article_page(site: SiteFactory) -> None:
    site.section("city", "City")
    for day, slug in enumerate(("harbour", "rail", "storm"), start=10):
        site.article(
            "city", slug, tags=["port"], authors=["Li Wei"],
            published=f"2024-02-{day}T09:30:00+08:00", summary=f"About the {slug}.",
        )  # fmt: skip
    reused(site)
    storm = site.content / "city/storm.md"
    storm.write_bytes(storm.read_bytes())  # same bytes, new mtime: a publish, all reused
    pieces = reused(site)

    # The middle story's body: its neighbours' pages and every list show only its
    # teaser (headline, link, date, summary, picture), so none of them is rendered.
    # The edit is the story's last change (`modified`), which the sitemaps show: its
    # month's, the list pages' (it is on city/'s first page) and the index.
    site.article(
        "city", "rail", body="A new body.\n", tags=["port"], authors=["Li Wei"],
        published="2024-02-11T09:30:00+08:00", summary="About the rail.",
    )  # fmt: skip
    assert reused(site) == pieces - 1 - 3

    # Its headline: its page, both neighbours' pages and the lists showing it.
    site.article(
        "city", "rail", title="Rail strike ends", body="A new body.\n", tags=["port"],
        authors=["Li Wei"], published="2024-02-11T09:30:00+08:00", summary="About the rail.",
    )  # fmt: skip
    assert reused(site) <= pieces - 3 - 4  # home, city/, tags/port/, authors/li-wei/
    assert "Rail strike ends" in (site.root / "public/city/index.html").read_text("utf-8")


def test_a_site_list_template_shows_more_fields_once_it_declares_them(site: SiteFactory) -> None:
    site.section("city", "City")
    site.article("city", "harbour", tags=["port"], published="2024-02-10T09:30:00+08:00")
    template = site.root / "templates" / "html" / "list.html"
    template.parent.mkdir(parents=True)
    template.write_text("{% for a in page.items %}[{{ a.tags|join(',') }}]{% endfor %}\n")
    site.write_config()
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code != 0
    assert "'tags'" in result.output and "harbour" in result.output  # names field and story

    site.write_config(channels={"html": {"teaser_fields": ["tags"]}})
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code == 0, result.output
    assert "[port]" in (site.root / "public/city/index.html").read_text("utf-8")

    site.write_config(channels={"html": {"teaser_fields": ["tagz"]}})
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code != 0 and "teaser_fields" in result.output and "'tagz'" in result.output

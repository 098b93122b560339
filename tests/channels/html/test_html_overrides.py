"""A site's own templates/ folder still shapes the pages: a whole layout or one partial.

The masthead, footer and feed links are rendered once per distinct input and handed to
base.html ready-made; a site's older base.html that builds them itself must keep working.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
from conftest import SiteFactory

ARTICLE = "finance/markets/rally/index.html"

# A layout written against the per-page context (nav, links, head.feeds), not the partials.
OWN_BASE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head><title>{{ head.title }}</title>
{% for feed in head.feeds %}
<link rel="alternate" type="{{ feed.type }}" href="{{ feed.href }}" title="{{ feed.title }}">
{% endfor %}
</head>
<body>
<nav id="own-nav"><a href="{{ links.to('') }}">{{ site.title }}</a>
{% for item in nav %}
<a href="{{ item.href }}"{% if item.current %} aria-current="true"{% endif %}>{{ item.title }}</a>
{% endfor %}
</nav>
<main>{% block main %}{% endblock %}</main>
</body>
</html>
"""

OWN_FOOTER = """<footer class="site-footer">
<p id="own-footer"><a href="{{ links.to('') }}">{{ site.title }}</a> {{ _("Follow:") }}</p>
</footer>
"""


def small_site(site: SiteFactory, templates: dict[str, str]) -> Path:
    site.write_config(channels={"html": {"qr_code": False}})
    site.section("finance", "Finance & Markets")
    site.section("finance/markets", "Markets")
    site.section("world", "World")
    site.article("finance/markets", "rally", title="Stocks <rally>", tags=["stocks"])
    site.article("world", "summit", title="Summit ends", published="2024-02-19T09:00:00+08:00")
    for name, text in templates.items():
        path = site.root / "templates" / "html" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code == 0, result.output
    return site.root / "public"


def parse(path: Path) -> Element:
    tree: Element = html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    return tree


def test_a_site_layout_built_from_the_page_context_still_works(site: SiteFactory) -> None:
    out = small_site(site, {"base.html": OWN_BASE})
    page = parse(out / ARTICLE)
    nav = page.findall(".//nav[@id='own-nav']/a")
    assert [(a.get("href"), a.text) for a in nav] == [
        ("../../../", "Taiwan Strait Network"),
        ("../../../finance/", "Finance & Markets"),
        ("../../../world/", "World"),
    ]
    assert [a.get("aria-current") for a in nav] == [None, "true", None]
    feeds = [link.get("href") for link in page.findall(".//link[@rel='alternate']")]
    assert feeds[:3] == [
        "https://news.example.com/atom.xml",
        "https://news.example.com/rss.xml",
        "https://news.example.com/feed.json",
    ]
    assert "https://news.example.com/finance/markets/atom.xml" in feeds
    assert page.findtext(".//main//h1") == "Stocks <rally>"
    assert page.find(".//header[@class='masthead']") is None  # the bundled partial is unused


def test_a_site_partial_replaces_the_bundled_one_on_every_page(site: SiteFactory) -> None:
    out = small_site(site, {"partials/footer.html": OWN_FOOTER})
    for rel, home in [(ARTICLE, "../../../"), ("index.html", "./"), ("world/index.html", "../")]:
        page = parse(out / rel)
        footers = page.findall(".//footer[@class='site-footer']")
        assert len(footers) == 1, rel
        link = footers[0].find("p[@id='own-footer']/a")
        assert link is not None, rel
        assert link.get("href") == home
        assert page.find(".//header[@class='masthead']") is not None  # others stay bundled

"""benchmarks/compare.py's "Hugo's pages" variant must stay a site that publishes what it
says: a broken one would surface only ten minutes into a benchmark run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from xml.etree.ElementTree import Element

import feedparser
import html5lib
from conftest import SiteFactory

COMPARE = Path(__file__).resolve().parents[2] / "benchmarks" / "compare.py"


def load_compare() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_compare", COMPARE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def parse(path: Path) -> Element:
    tree: Element = html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    return tree


def test_hugo_like_site_publishes_hugos_kind_of_pages_and_rss_only(site: SiteFactory) -> None:
    # The smallest syndicate.yaml, as make_corpus.py writes it: hugo_like appends to it.
    site.root.mkdir(parents=True)
    site.config_path.write_text(
        "site:\n  title: Bench\n  base_url: https://news.example.com/\n  language: en\n",
        encoding="utf-8",
    )
    site.section("finance", "Finance")
    site.article("finance", "rally", "Shares rose.\n", title="Stocks & <bonds> rally", tags=["x"])
    site.article("finance", "dip", title="Stocks dip", published="2024-02-19T09:00:00+08:00")
    load_compare().hugo_like(site.root)

    result = site.cli("publish", "--channels", "html,feeds")
    assert result.exit_code == 0, result.output

    out = site.root / "public"
    page = parse(out / "finance/rally/index.html")
    assert [h.text for h in page.iter("h1")] == ["Stocks & <bonds> rally"]
    assert "Shares rose." in "".join(page.find(".//body").itertext())  # type: ignore[union-attr]
    assert page.find(".//meta[@property='og:title']") is None  # Hugo's layout has none
    assert page.find(".//aside") is None  # no QR code box
    assert page.find(".//article") is None  # Hugo's single.html: no story markup
    listing = parse(out / "finance/index.html")
    assert [a.text for a in listing.iter("a")] == ["Stocks & <bonds> rally", "Stocks dip"]

    assert (out / "rss.xml").exists() and not list(out.rglob("atom.xml"))
    assert not (out / "feed.json").exists() and not (out / "archive").exists()
    feed = feedparser.parse((out / "finance" / "rss.xml").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Stocks & <bonds> rally", "Stocks dip"]

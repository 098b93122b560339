"""Per-language section titles from _index.md (`titles:`), used on pages of that language."""

from __future__ import annotations

from typing import Any

import html5lib

ROOT = "---\ntitle: News Center\ntitles:\n  zh-Hans: 新闻中心\n---\n"
FINANCE = "---\ntitle: Finance\ntitles: {zh-Hans: 财经}\n---\n"


def _texts(tree: Any, path: str) -> list[str]:
    return ["".join(e.itertext()).strip() for e in tree.findall(path)]


def _site(site: Any, language: str = "en") -> Any:
    site.settings["site"]["language"] = language
    site.raw("_index.md", ROOT)
    site.raw("finance/_index.md", FINANCE)
    site.article("finance", "english", title="Markets rally")
    site.article("finance", "chinese", title="股市上涨", language="zh-Hans")
    site.write_config()
    assert site.cli("publish", "--channels", "html").exit_code == 0
    return lambda rel: html5lib.parse(
        (site.root / "public" / rel).read_bytes(), namespaceHTMLElements=False
    )


def test_chinese_article_shows_chinese_section_names(site: Any) -> None:
    page = _site(site)
    zh = page("finance/chinese/index.html")
    assert _texts(zh, ".//nav[@class='sections']//a") == ["财经"]
    assert _texts(zh, ".//nav[@class='breadcrumb']//a") == ["新闻中心", "财经"]
    section = zh.find(".//meta[@property='article:section']")
    assert section is not None and section.get("content") == "财经"
    en = page("finance/english/index.html")
    assert _texts(en, ".//nav[@class='sections']//a") == ["Finance"]
    assert _texts(en, ".//nav[@class='breadcrumb']//a") == ["News Center", "Finance"]
    home = page("index.html")
    assert _texts(home, ".//h1") == ["News Center"]


def test_chinese_site_home_and_sections_are_chinese(site: Any) -> None:
    page = _site(site, "zh-Hans")
    home = page("index.html")
    assert _texts(home, ".//h1") == ["新闻中心"]
    assert "财经" in _texts(home, ".//section/h2")
    finance = page("finance/index.html")
    assert _texts(finance, ".//h1") == ["财经"]


def test_titles_must_be_a_map_of_strings(site: Any) -> None:
    site.raw("finance/_index.md", "---\ntitle: Finance\ntitles: [财经]\n---\n")
    site.article("finance", "a")
    site.write_config()
    result = site.cli("check")
    assert result.exit_code == 1
    assert "finance/_index.md:3: titles" in result.output

"""`syndicate print --date`: the A4 edition sheet as HTML (@page CSS) and PDF."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib
import pypdf
import pytest

Decode = Callable[..., list[str]]
BASE = "https://news.example.com/"
DAY = "2024-02-20"


def _day_articles(site: Any, count: int, section: str = "finance") -> list[str]:
    slugs = []
    for i in range(count):
        slug = f"{section.replace('/', '-')}-story-{i}"
        site.article(
            section,
            slug,
            title=f"Headline number {i} about the markets",
            summary=f"Summary {i}: " + "words to fill the box " * 12,
            published=f"{DAY}T{8 + i % 12:02d}:{i % 60:02d}:00+08:00",
        )
        slugs.append(slug)
    return slugs


def _short_urls(site: Any, slugs: list[str]) -> set[str]:
    urls = set()
    for slug in slugs:
        text = (site.root / "public/print" / slug / "snippet.txt").read_text(encoding="utf-8")
        urls.add(re.search(r"^Scan to read: (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]
    return urls


def _edition(site: Any, *args: str) -> tuple[Any, Path]:
    out = site.root / "sheets"
    result = site.cli("print", "--date", DAY, "--out", str(out), *args)
    return result, out


@pytest.fixture
def day_site(site: Any) -> tuple[Any, list[str], list[str]]:
    finance = _day_articles(site, 8)
    sport = _day_articles(site, 2, "sport/football")
    site.article("finance", "yesterday", published="2024-02-19T12:00:00+08:00")
    # 20:00 UTC on the 19th is already the 20th in Taipei: it belongs to this edition
    site.article("finance", "late-utc", title="Late", published="2024-02-19T20:00:00+00:00")
    site.write_config()
    assert site.cli("publish", "--channels", "print").exit_code == 0
    return site, [*finance, "late-utc"], sport


def test_edition_pdf_and_html_have_the_expected_pages_and_every_code_decodes(
    day_site: tuple[Any, list[str], list[str]], decode_pdf: Decode, decode_svg: Decode
) -> None:
    site, finance, sport = day_site
    everything = finance + sport
    result, out = _edition(site)
    assert result.exit_code == 0, result.output
    pages = math.ceil(len(everything) / 6)  # default per_page
    assert f"{len(everything)} snippets on {pages} pages" in result.output

    pdf_bytes = (out / f"{DAY}.pdf").read_bytes()
    reader = pypdf.PdfReader(out / f"{DAY}.pdf")
    assert len(reader.pages) == pages
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Headline number 7 about the markets" in text
    assert f"page {pages} of {pages}" in text
    per_page = decode_pdf(pdf_bytes)
    assert [len(codes) for codes in per_page] == [6] * (pages - 1) + [len(everything) % 6 or 6]
    assert {c for codes in per_page for c in codes} == _short_urls(site, everything)

    html = (out / f"{DAY}.html").read_text(encoding="utf-8")
    doc = html5lib.parse(html, namespaceHTMLElements=False)
    style = doc.find(".//style").text
    assert re.search(r"@page\s*\{\s*size:\s*A4", style)
    sheets = doc.findall(".//section[@class='page']")
    assert len(sheets) == pages
    snippets = doc.findall(".//article[@class='snippet']")
    assert [s.get("id") for s in snippets] == sorted(
        everything, key=lambda slug: _published(site, slug)
    )
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == len(everything)
    decoded = [code for svg in svgs for code in decode_svg(svg, 400)]
    assert sorted(decoded) == sorted(_short_urls(site, everything))


def _published(site: Any, slug: str) -> str:
    built = site.build().site
    return built.by_slug[slug].published.isoformat()  # type: ignore[no-any-return]


def test_section_filter_includes_subsections_only(
    day_site: tuple[Any, list[str], list[str]], decode_pdf: Decode
) -> None:
    site, _, sport = day_site
    result, out = _edition(site, "--section", "sport")
    assert result.exit_code == 0, result.output
    pdf = (out / f"{DAY}-sport.pdf").read_bytes()
    assert len(pypdf.PdfReader(out / f"{DAY}-sport.pdf").pages) == 1
    assert {c for codes in decode_pdf(pdf) for c in codes} == _short_urls(site, sport)
    assert (out / f"{DAY}-sport.html").exists()


def test_chinese_edition_renders(site: Any, decode_pdf: Decode) -> None:
    site.article(
        "china",
        "zh-story",
        title="人工智能视频模型Sora发布后，影视行业从业者开始担心后期制作岗位会不会被取代" * 2,
        summary="业内人士表示，文本生成视频技术将对后期制作产生深远影响。" * 8,
        language="zh-Hans",
        published=f"{DAY}T10:00:00+08:00",
    )
    site.write_config(channels={"print": {"per_page": 4}})
    result, out = _edition(site)
    assert result.exit_code == 0, result.output
    pdf = (out / f"{DAY}.pdf").read_bytes()
    sheet = (out / f"{DAY}.html").read_text("utf-8")
    expected = re.search(r"扫码阅读：([^\s<]+)", sheet)  # the box speaks the article's language
    assert expected
    assert decode_pdf(pdf) == [[expected.group(1)]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--section", "nope"], "no section 'nope'"),
        (["--date", "2023-01-01"], "no articles published on 2023-01-01"),
    ],
)
def test_nothing_to_print_is_a_one_line_error(
    day_site: tuple[Any, list[str], list[str]], args: list[str], message: str
) -> None:
    site, _, _ = day_site
    result = site.cli("print", "--date", DAY, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_date_is_rejected(site: Any) -> None:
    site.write_config()
    result = site.cli("print", "--date", "20-02-2024")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output or "%Y-%m-%d" in result.output

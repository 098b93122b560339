"""A small published news site shared by the HTML channel tests (built once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest
from conftest import SiteFactory

HOSTILE_SOURCE_URL = "https://evil.example/a?'onmouseover='alert(1)"
HOSTILE_IMAGE_SRC = "/media/lead.jpg?'onerror='alert(1)"
HOSTILE_TITLE = '<script>alert(1)</script> & "quotes"'
HOSTILE_BODY = """Intro <script>alert("body")</script> text.

<img src="x.png" onerror="alert('img')">

[click me](javascript:alert('link')) and <a href="javascript:alert(2)">raw link</a>.

<p onclick="alert('p')">Paragraph with a handler.</p>

## First part

Some text.

## Second part

More text.
"""
NS = {"h": "http://www.w3.org/1999/xhtml"}
SM = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@dataclass
class Published:
    factory: SiteFactory
    out: Path

    def page(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")

    def tree(self, rel: str) -> object:
        return html5lib.parse(self.page(rel), namespaceHTMLElements=False)


def read_sitemaps(out: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """sitemap.xml (the index: file name -> lastmod) and each sitemap it names (file name
    -> {URL: lastmod}), parsed as a crawler does: every file must be valid XML."""
    base = "https://news.example.com/"

    def parse(name: str, tag: str) -> dict[str, str]:
        root = ElementTree.fromstring((out / name).read_bytes())
        assert root.tag == f"{{{SM['s']}}}{'sitemapindex' if tag == 'sitemap' else 'urlset'}"
        found = {}
        for item in root.findall(f"s:{tag}", SM):
            loc, lastmod = (
                item.findtext("s:loc", namespaces=SM),
                item.findtext("s:lastmod", namespaces=SM),
            )
            assert loc is not None and loc not in found, loc
            found[loc] = lastmod or ""
        return found

    index = {
        loc.removeprefix(base): lastmod for loc, lastmod in parse("sitemap.xml", "sitemap").items()
    }
    return index, {name: parse(name, "url") for name in index}


def write_image(path: Path, size: tuple[int, int], fmt: str = "JPEG") -> Path:
    """A real picture (a gradient, so encoders have work to do) for lead images."""
    from PIL import Image

    image = Image.linear_gradient("L").resize(size).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, fmt)
    return path


def build_news_site(factory: SiteFactory, *, per_page: int = 2) -> None:
    factory.write_config(channels={"html": {"per_page": per_page}})
    write_image(factory.root / "static/media/sora.jpg", (1200, 675))
    write_image(factory.root / "static/media/lead.jpg", (400, 300))  # HOSTILE_IMAGE_SRC's
    write_image(factory.content / "world/old-photo.png", (500, 300), "PNG")  # beside its article
    factory.section("", "News Center", "All the news")
    factory.section("finance", "Finance", "Money & markets")
    factory.section("finance/financial-focus", "Financial Focus")
    factory.section("world", "World")
    factory.article(
        "finance/financial-focus",
        "sora-film-industry",
        "Industry figures weigh what text-to-video means.\n\n## Post-production\n\n"
        "Editors worry.\n\n## Jobs\n\nScreenwriters too.\n\n### Outlook\n\nUnclear.\n",
        title="Will Sora become a director, a screenwriter, then unemployed?",
        published="2024-02-20T09:30:00+08:00",
        updated="2024-02-21T08:00:00+08:00",
        summary="Industry figures weigh what text-to-video means for post-production.",
        authors=["Li Wei", "Zhang Min"],
        source={"name": "Chongqing Morning Post", "url": "https://example.com/original/123"},
        tags=["AI", "video", "film"],
        related=["sasac-ai-meeting", "wenshengshipin"],
        image={
            "src": "/media/sora.jpg",
            "alt": "A frame generated from a text prompt",
            "caption": "A still from a generated clip",
            "credit": "OpenAI",
        },
    )
    factory.article(
        "finance/financial-focus",
        "sasac-ai-meeting",
        "The commission met on AI.\n",
        title="SASAC holds a meeting on AI in state firms",
        published="2024-02-19T10:00:00+08:00",
        tags=["AI"],
    )
    factory.article(
        "finance/financial-focus",
        "hostile",
        HOSTILE_BODY,
        title=HOSTILE_TITLE,
        published="2024-02-18T10:00:00+08:00",
        summary='Summary with <b>tags</b> & "quotes"',
        # The reader refuses javascript: and the like; what passes may still hold quotes.
        source={"name": "Evil <i>Corp</i>", "url": HOSTILE_SOURCE_URL},
        image={"src": HOSTILE_IMAGE_SRC, "alt": "<b>alt</b>"},
        tags=["<b>tag</b>"],
    )
    factory.article(
        "finance",
        "markets-close",
        "Markets closed higher.\n",
        title="Markets close higher",
        published="2024-02-10T15:00:00+08:00",
    )
    factory.article(
        "world",
        "wenshengshipin",
        "文生视频技术正在改变影视行业。\n\n## 行业影响\n\n后期制作受到冲击。\n",
        title="文生视频会取代导演吗？",
        published="2024-02-19T12:00:00+08:00",
        summary="业内人士谈文生视频对后期制作的影响。",
        authors=["李伟"],
        source={"name": "重庆晨报"},
        language="zh-Hans",
        tags=["AI"],
        related=["sora-film-industry"],
    )
    factory.article(
        "world",
        "old-news",
        "Old.\n",
        title="An old story",
        published="2024-01-01T08:00:00+08:00",
        image={"src": "old-photo.png", "alt": "An old photo"},
    )


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    factory = SiteFactory(tmp_path_factory.mktemp("html") / "site")
    build_news_site(factory)
    result = factory.cli("publish", "--channels", "html")
    assert result.exit_code == 0, result.output
    yield Published(factory, factory.root / "public")

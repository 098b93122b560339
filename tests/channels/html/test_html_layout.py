"""The sample news center in headless Chromium at phone and desktop sizes: the layout facts
a reader sees (lead image, no repeated story, one-line menu, CJK fonts), with screenshots."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from syndicate_channels.html.serve import start_server

from syndicate.cli import cli

from .test_html_browser import CHROMIUM, DRIVER, browser  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[3]
PAGES = {
    "home": "",
    "section": "finance/",
    "article-en": "finance/financial-focus/sora-film-industry/",
    "article-zh": "cross-strait/exchanges/liangan-qingnian-chuangye/",
}
SIZES = [(360, 740), (1280, 900)]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Debian packages chromium and chromium-driver are not installed",
)


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("sample")
    for folder in ("content", "static"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "syndicate.yaml", root / "syndicate.yaml")
    args = ["--config", str(root / "syndicate.yaml"), "publish", "--channels", "html"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    server = start_server(root / "public", "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _size(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
    )


@pytest.fixture
def sized(browser: Any) -> Iterator[Any]:  # noqa: F811 - the imported fixture
    yield browser
    _size(browser, 360, 740)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_screenshots_and_no_horizontal_scroll(
    sized: Any, sample_url: str, tmp_path: Path, width: int, height: int
) -> None:
    _size(sized, width, height)
    for name, page in PAGES.items():
        sized.get(sample_url + page)
        assert sized.execute_script("return innerWidth") == width
        assert sized.execute_script("return document.scrollingElement.scrollWidth") <= width
        shot = tmp_path / f"{name}-{width}x{height}.png"
        assert sized.save_screenshot(str(shot)) and shot.stat().st_size > 5000, name


@pytest.mark.parametrize("page", ["", "finance/"])
def test_lead_image_is_loaded_with_its_dimensions(sized: Any, sample_url: str, page: str) -> None:
    _size(sized, 360, 740)
    sized.get(sample_url + page)
    facts = sized.execute_script(
        """
        const img = document.querySelector('.lead-story img');
        if (!img) return null;
        const r = img.getBoundingClientRect();
        return {w: img.getAttribute('width'), h: img.getAttribute('height'),
                natural: img.naturalWidth, current: img.currentSrc, shown: r.width,
                top: r.top};
        """
    )
    assert facts is not None and facts["w"] and facts["h"]
    assert facts["natural"] > 0 and facts["current"].endswith(".webp")  # Chromium takes WebP
    assert facts["shown"] >= 340 and facts["top"] < 740  # full width, above the fold


def test_home_shows_every_story_once(sized: Any, sample_url: str) -> None:
    sized.get(sample_url)
    links = sized.execute_script(
        """
        return [...document.querySelectorAll('main .lead-title a, main .teaser-title a')]
            .map(a => new URL(a.href).pathname);
        """
    )
    assert len(links) >= 10 and len(links) == len(set(links))


@pytest.mark.parametrize("width", [360, 300])
def test_section_menu_is_one_scrolling_line(sized: Any, sample_url: str, width: int) -> None:
    _size(sized, width, 740)
    for page in ("", PAGES["article-zh"]):
        sized.get(sample_url + page)
        menu = sized.execute_script(
            """
            const ul = document.querySelector('nav.sections ul');
            const tops = [...ul.querySelectorAll('li')].map(li => li.getBoundingClientRect().top);
            return {tops, scroll: ul.scrollWidth, client: ul.clientWidth,
                    overflow: getComputedStyle(ul).overflowX, page: innerWidth,
                    docWidth: document.scrollingElement.scrollWidth};
            """
        )
        assert len(menu["tops"]) == 4 and len(set(menu["tops"])) == 1, menu  # one line
        assert menu["overflow"] == "auto"
        if width == 300 and not page:  # too narrow for the English names: the row scrolls
            assert menu["scroll"] > menu["client"], menu
        assert menu["docWidth"] <= menu["page"]  # the page itself does not


def test_chinese_article_uses_a_cjk_font(sized: Any, sample_url: str) -> None:
    sized.get(sample_url + PAGES["article-zh"])
    family = sized.execute_script(
        "return getComputedStyle(document.querySelector('h1')).fontFamily"
    )
    for font in ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"):
        assert font in family
    assert sized.execute_script("return document.documentElement.lang") == "zh-Hans"
    crumbs = sized.execute_script(
        "return [...document.querySelectorAll('nav.breadcrumb a')].map(a => a.textContent)"
    )
    assert crumbs == ["新闻中心", "两岸", "交流"]
    minutes = sized.execute_script("return document.querySelector('.reading-time').textContent")
    assert minutes.startswith("阅读约")

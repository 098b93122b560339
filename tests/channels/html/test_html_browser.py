"""A real phone-sized browser: headless Chromium at 360x740 over HTTP on 127.0.0.1."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from syndicate_channels.html.serve import start_server

from .conftest import Published

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Debian packages chromium and chromium-driver are not installed",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="syndicate-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=360,740",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def base_url(published: Published) -> Iterator[str]:
    server = start_server(published.out, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def visible(driver: Any, selector: str) -> bool:
    return bool(
        driver.execute_script(
            """
            const el = document.querySelector(arguments[0]);
            if (!el) return false;
            const r = el.getBoundingClientRect(), s = getComputedStyle(el);
            return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
                && s.display !== 'none' && r.left >= 0 && r.right <= innerWidth + 0.5;
            """,
            selector,
        )
    )


@pytest.mark.parametrize(
    "page",
    [
        "finance/financial-focus/sora-film-industry/",
        "world/wenshengshipin/",
        "finance/financial-focus/hostile/",
    ],
)
def test_article_fits_a_phone(browser: Any, base_url: str, page: str, tmp_path: Path) -> None:
    browser.get(base_url + page)
    assert browser.execute_script("return innerWidth") == 360
    scroll_width = browser.execute_script("return document.scrollingElement.scrollWidth")
    assert scroll_width <= browser.execute_script("return innerWidth")
    assert visible(browser, "nav.breadcrumb")
    assert visible(browser, "h1")
    assert browser.find_element("css selector", "h1").text.strip()
    if page != "finance/financial-focus/hostile/":
        assert visible(browser, "section.related li")
    # Readable without zooming: body text at least 16 px.
    size = browser.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16
    # The stylesheet loaded (relative link resolved over HTTP).
    assert browser.execute_script("return document.styleSheets.length") == 1
    shot = tmp_path / (page.strip("/").replace("/", "_") + ".png")
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 1000


def test_no_horizontal_scrolling_at_320px(browser: Any, base_url: str) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 320, "height": 640, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        for page in ("finance/financial-focus/sora-film-industry/", "finance/", ""):
            browser.get(base_url + page)
            assert browser.execute_script("return innerWidth") == 320
            width = browser.execute_script("return document.scrollingElement.scrollWidth")
            assert width <= 320, page
    finally:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True},
        )


def test_lists_fit_and_tap_targets_are_large(browser: Any, base_url: str) -> None:
    for page in ("", "finance/", "tags/ai/", "no/such/page/"):
        browser.get(base_url + page)
        width = browser.execute_script("return document.scrollingElement.scrollWidth")
        assert width <= 360, page
        assert visible(browser, "h1"), page
    browser.get(base_url + "finance/")
    small = browser.execute_script(
        """
        return [...document.querySelectorAll('nav a, .pagination a')]
            .filter(a => a.getBoundingClientRect().height < 44)
            .map(a => a.textContent.trim());
        """
    )
    assert small == []

"""`syndicate serve` as a user runs it: a real process, real HTTP, a real file edit."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SiteFactory
from lines import running, wait_for

from .test_html_browser import CHROMIUM, DRIVER, browser  # noqa: F401 - the fixture

ARTICLE = "finance/first-story/"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


@pytest.fixture
def server(site: SiteFactory) -> Iterator[tuple[subprocess.Popen[str], str, queue.Queue[str]]]:
    site.section("finance", "Finance")
    site.article("finance", "first-story", "Original body.\n", title="Original headline")
    site.write_config()
    with running(site.config_path, "serve", "--port", "0") as (process, lines):
        line = wait_for("serving", lines)
        url = line[line.index("http://") :].split()[0]
        yield process, url, lines


def test_serve_builds_serves_and_rebuilds(
    site: SiteFactory, server: tuple[subprocess.Popen[str], str, queue.Queue[str]]
) -> None:
    process, url, lines = server
    assert url.startswith("http://127.0.0.1:")
    status, page = fetch(url + ARTICLE)
    assert status == 200 and "Original headline" in page
    status, home = fetch(url)
    assert status == 200 and "Original headline" in home
    status, missing = fetch(url + "no/such/page/")
    assert status == 404 and "Page not found" in missing
    # The preview is not the live output folder.
    assert not (site.root / "public").exists()

    site.article("finance", "first-story", "Edited body.\n", title="Edited headline")
    wait_for(" written, ", lines)
    status, page = fetch(url + ARTICLE)
    assert status == 200 and "Edited headline" in page and "Original headline" not in page

    # A broken edit is reported, and pages say what is wrong until it is fixed; the last
    # good build stays in the preview folder.
    site.raw("finance/broken.md", "---\ntitle: [unclosed\n---\nBody\n")
    assert "broken.md" in wait_for("error:", lines)
    assert not next_build(url, -1, until_ok=False)["ok"]
    status, page = fetch(url + ARTICLE)
    assert status == 500 and "finance/broken.md:3: invalid YAML" in page
    assert "Edited headline" in (site.config().preview_dir / ARTICLE / "index.html").read_text()
    (site.content / "finance/broken.md").unlink()
    # Back to what was last published: nothing to write, but the loop went on (the no-op
    # check may or may not see it as unchanged: racy stamps, see engine/filestamp.py).
    line = wait_for("changed content/finance/broken.md", lines)
    assert "nothing to publish" in line or ": 0 written, 0 removed" in line

    # Changing syndicate.yaml rebuilds too.
    site.settings["site"]["title"] = "Renamed Network"
    site.write_config()
    wait_for(" written, ", lines)
    status, page = fetch(url + ARTICLE)
    assert "Renamed Network" in page

    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0
    wait_for("stopped", lines, 10)


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[str]:
    """A real preview server on 127.0.0.1 over a folder with the awkward cases in it."""
    from syndicate_channels.html.serve import start_server

    root = tmp_path / "preview"
    (root / "news").mkdir(parents=True)
    (root / "news/index.html").write_text("<p>news</p>", encoding="utf-8")
    (root / "media").mkdir()
    (root / "media/photo.jpg").write_bytes(b"\xff\xd8")
    (root / "404.html").write_text("<p>our 404</p>", encoding="utf-8")
    (root / ".syndicate-manifest.json").write_text("{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("private", encoding="utf-8")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    server = start_server(root, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def raw_get(address: str, path: str) -> tuple[int, bytes]:
    """Sends the path byte for byte (urllib would quote or refuse it)."""
    import http.client

    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/news/", 200),
        ("/media/photo.jpg", 200),
        ("/%00", 400),
        ("/news/%00index.html", 400),
        ("/news%2F%00", 400),
        ("/%ff%fe", 400),
        ("/%0d%0aSet-Cookie:x", 400),
        ("/media/", 404),  # a folder without index.html: no listing
        ("/.syndicate-manifest.json", 404),
        ("/leak.txt", 404),  # a symlink out of the folder
        ("/../secret.txt", 404),
        ("/%2e%2e/secret.txt", 404),
    ],
)
def test_preview_server_answers_bad_paths_with_400_and_404(
    preview: str, path: str, status: int
) -> None:
    code, body = raw_get(preview, path)
    assert code == status
    assert b"private" not in body and b"Directory listing" not in body
    if status == 404:
        assert body == b"<p>our 404</p>"
    status_after, _ = raw_get(preview, "/news/")  # the server is still up
    assert status_after == 200


def build_state(url: str) -> dict[str, Any]:
    status, text = fetch(url + "__syndicate/build")
    assert status == 200
    state: dict[str, Any] = json.loads(text)
    return state


def next_build(
    url: str, after: int, seconds: float = 30, until_ok: bool | None = None
) -> dict[str, Any]:
    """The preview's build state once its number has moved past `after` (and, with
    `until_ok`, once the last build worked or failed as asked)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = build_state(url)
        if state["build"] != after and until_ok in (None, state["ok"]):
            return state
        time.sleep(0.05)
    raise AssertionError(f"no build after number {after}")


def test_pages_reload_after_a_rebuild_and_show_a_broken_build(
    site: SiteFactory, server: tuple[subprocess.Popen[str], str, queue.Queue[str]]
) -> None:
    _, url, _ = server
    status, page = fetch(url + ARTICLE)
    first = build_state(url)
    assert status == 200 and first["ok"] and "__syndicate/build" in page
    assert f"var b={first['build']};" in page

    site.article("finance", "first-story", "Edited body.\n", title="Edited headline")
    state = next_build(url, first["build"])
    status, page = fetch(url + ARTICLE)
    assert state["ok"] and "Edited headline" in page and f"var b={state['build']};" in page

    # A broken article: every page says what is wrong, with the reload script.
    site.raw("finance/first-story.md", "---\ntitle: [unclosed\n---\nBody\n")
    broken = next_build(url, state["build"])
    assert not broken["ok"]
    status, page = fetch(url + ARTICLE)
    assert status == 500 and "__syndicate/build" in page
    assert "finance/first-story.md:3: invalid YAML" in page
    status, _ = fetch(url + "atom.xml")  # other files are still served (feeds too)
    assert status == 200

    site.article("finance", "first-story", "Fixed body.\n", title="Fixed headline")
    fixed = next_build(url, broken["build"])
    status, page = fetch(url + ARTICLE)
    assert fixed["ok"] and status == 200 and "Fixed headline" in page

    # A broken template is named with its line.
    footer = site.root / "templates/html/partials/footer.html"
    footer.parent.mkdir(parents=True)
    footer.write_text("<footer>\n{% if %}\n</footer>\n", encoding="utf-8")
    broken = next_build(url, fixed["build"])
    status, page = fetch(url + ARTICLE)
    assert status == 500 and "footer.html:2" in page
    footer.unlink()
    assert next_build(url, broken["build"])["ok"]

    # The script is the server's: no file of the preview holds it.
    preview = site.config().preview_dir
    assert not [p for p in preview.rglob("*.html") if b"__syndicate" in p.read_bytes()]


@pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="no Chromium/chromedriver")
def test_a_browser_page_reloads_itself_after_an_edit(
    site: SiteFactory,
    server: tuple[subprocess.Popen[str], str, queue.Queue[str]],
    browser: Any,  # noqa: F811 - the imported fixture
) -> None:
    _, url, _ = server
    browser.get(url + ARTICLE)
    assert "Original headline" in browser.find_element("tag name", "h1").text
    site.article("finance", "first-story", "Edited body.\n", title="Edited headline")
    deadline = time.monotonic() + 30
    while "Edited headline" not in browser.page_source:  # reloaded by the injected script
        assert time.monotonic() < deadline, "the page never reloaded"
        time.sleep(0.1)

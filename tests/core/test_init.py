"""`syndicate init`: a new site that checks and publishes as written, and never overwrites."""

from __future__ import annotations

from pathlib import Path

import feedparser
import html5lib
import yaml
from click.testing import CliRunner, Result

from syndicate.cli import cli
from syndicate.reader import split_front_matter


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_writes_a_site_that_checks_and_publishes(tmp_path: Path) -> None:
    folder = tmp_path / "harbour-daily"
    result = run("init", str(folder), "--timezone", "Asia/Taipei")
    assert result.exit_code == 0, result.output
    for rel in ("syndicate.yaml", "content/_index.md", "content/news/_index.md",
                "content/news/welcome.md", "static"):  # fmt: skip
        assert (folder / rel).exists(), rel
        assert rel in result.output
    assert "next:" in result.output and "publish" in result.output
    settings = yaml.safe_load((folder / "syndicate.yaml").read_text(encoding="utf-8"))
    assert settings == {
        "site": {
            "title": "Harbour Daily",
            "base_url": "https://example.com/",
            "language": "en",
            "timezone": "Asia/Taipei",
        }
    }
    article = split_front_matter((folder / "content/news/welcome.md").read_text("utf-8"))
    assert article is not None and yaml.safe_load(article[0])["draft"] is False

    config = str(folder / "syndicate.yaml")
    checked = run("--config", config, "check", "--json")
    assert (checked.exit_code, checked.stdout.strip()) == (0, "[]")
    published = run("--config", config, "publish")
    assert published.exit_code == 0, published.output
    feed = feedparser.parse((folder / "public/atom.xml").read_bytes())
    assert not feed.bozo and feed.feed.title == "Harbour Daily"
    assert [e.title for e in feed.entries] == ["Welcome to Harbour Daily"]
    section = feedparser.parse((folder / "public/news/rss.xml").read_bytes())
    assert [e.link for e in section.entries] == ["https://example.com/news/welcome/"]
    page = html5lib.parse((folder / "public/news/welcome/index.html").read_bytes(),
                          namespaceHTMLElements=False)  # fmt: skip
    assert page.findtext(".//h1").strip() == "Welcome to Harbour Daily"


def test_init_refuses_to_overwrite_and_names_the_files(tmp_path: Path) -> None:
    (tmp_path / "content/news").mkdir(parents=True)
    (tmp_path / "content/news/welcome.md").write_text("mine\n", encoding="utf-8")
    (tmp_path / "syndicate.yaml").write_text("site: {}\n", encoding="utf-8")
    result = run("init", str(tmp_path), "--title", "Mine")
    assert result.exit_code == 1
    assert "syndicate.yaml, content/news/welcome.md" in result.output
    assert "nothing was written" in result.output
    assert (tmp_path / "syndicate.yaml").read_text(encoding="utf-8") == "site: {}\n"
    assert not (tmp_path / "content/_index.md").exists()
    assert not (tmp_path / "static").exists()


def test_init_checks_settings_before_writing(tmp_path: Path) -> None:
    result = run(
        "init", str(tmp_path / "x"), "--base-url", "example.com", "--timezone", "Mars/Base"
    )
    assert result.exit_code == 1
    assert "error: init --base-url: must be an absolute http" in result.output
    assert "error: init --timezone: unknown time zone 'Mars/Base'" in result.output
    assert not (tmp_path / "x").exists()

"""The CLI as an editor uses it: check, new, channels, config errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import SiteFactory

from syndicate.reader import split_front_matter


def test_check_lists_every_problem_and_fails(site: SiteFactory) -> None:
    site.article("news", "good")
    site.raw("news/no-title.md", "---\npublished: 2024-02-20\n---\nBody\n")
    site.raw("news/bad-yaml.md", "---\ntitle: 'open\n---\n")
    site.raw("news/empty.md", "")
    site.article("news", "dup", slug="good")
    site.article("news", "rel", related=["missing-one"])
    result = site.cli("check")
    assert result.exit_code == 1
    for needle in (
        "no-title.md:",
        "bad-yaml.md:",
        "empty.md: empty file",
        "duplicate slug 'good'",
        "warning: news/rel.md:2: related: unknown slug 'missing-one'",
        "5 problem(s) found",
    ):
        assert needle in result.output, needle
    assert "Traceback" not in result.output


def test_check_passes_on_good_content(site: SiteFactory) -> None:
    site.article("news", "good")
    result = site.cli("check")
    assert result.exit_code == 0 and "no problems found" in result.output


def test_new_scaffolds_a_valid_draft_with_ascii_slug(site: SiteFactory) -> None:
    site.article("news", "existing")
    result = site.cli(
        "new", "culture/film-tv", "文生视频：Sora 来了", "--author", "王海林", "--tag", "AI"
    )
    assert result.exit_code == 0, result.output
    path = site.content / "culture/film-tv/wen-sheng-shi-pin-sora-lai-le.md"
    split = split_front_matter(path.read_text(encoding="utf-8"))
    assert split is not None
    matter = yaml.safe_load(split[0])
    assert matter["title"] == "文生视频：Sora 来了" and matter["draft"] is True
    assert matter["authors"] == ["王海林"]
    assert site.cli("check").exit_code == 0
    built = site.build(drafts=True)
    assert "wen-sheng-shi-pin-sora-lai-le" in built.site.by_slug
    again = site.cli("new", "culture/film-tv", "文生视频：Sora 来了")
    assert again.exit_code == 1 and "already exists" in again.output


def test_new_writes_the_language_and_says_which(site: SiteFactory) -> None:
    result = site.cli("new", "culture", "文生视频：Sora 来了", "--language", "zh-Hans")
    assert result.exit_code == 0, result.output
    assert "(language: zh-Hans)" in result.output
    path = site.content / "culture/wen-sheng-shi-pin-sora-lai-le.md"
    split = split_front_matter(path.read_text(encoding="utf-8"))
    assert split is not None and yaml.safe_load(split[0])["language"] == "zh-Hans"
    assert (
        site.build(drafts=True).site.by_slug["wen-sheng-shi-pin-sora-lai-le"].language == "zh-Hans"
    )
    default = site.cli("new", "culture", "Markets rally")
    assert default.exit_code == 0 and "(language: en, the site's" in default.output
    path = site.content / "culture/markets-rally.md"
    assert "\nlanguage: en\n" in path.read_text(encoding="utf-8")
    bad = site.cli("new", "culture", "Other", "--language", "not a tag")
    assert bad.exit_code == 1 and "--language: 'not a tag' is not a BCP 47" in bad.output


def test_new_rejects_bad_section(site: SiteFactory) -> None:
    result = site.cli("new", "../escape", "Title")
    assert result.exit_code == 1 and "section" in result.output


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"site": {"title": "T"}}, "site.base_url: Field required"),
        ({"site": {"title": "T", "base_url": "news.example.com"}}, "site.base_url: must be"),
        (
            {"site": {"title": "T", "base_url": "https://x/", "timezone": "Mars/Base"}},
            "site.timezone: unknown time zone",
        ),
        (
            {"site": {"title": "T", "base_url": "https://x/"}, "outptu_dir": "x"},
            "outptu_dir: unknown setting",
        ),
    ],
)
def test_config_errors_name_the_key(
    site: SiteFactory, settings: dict[str, object], needle: str
) -> None:
    site.settings = settings  # type: ignore[assignment]
    site.write_config()
    result = site.cli("check")
    assert result.exit_code == 1 and needle in result.output, result.output


def test_missing_config_is_one_line(site: SiteFactory) -> None:
    from click.testing import CliRunner

    from syndicate.cli import cli

    result = CliRunner().invoke(cli, ["--config", str(site.root / "nope.yaml"), "publish"])
    assert result.exit_code == 1 and "not found" in result.output


def test_installed_channels_are_listed_via_entry_points(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "syndicate", "channels"], capture_output=True, text=True, check=True
    )
    names = {line.split()[0] for line in result.stdout.splitlines()}
    assert {"feeds", "html", "newsletter", "print", "push"} <= names

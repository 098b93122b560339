"""What an editor and their tools expect of the CLI: options anywhere, one error format,
JSON problems, a by-channel summary, progress counted in articles."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SiteFactory

from syndicate.pipeline import Progress, publish


def problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


def broken_site(site: SiteFactory) -> None:
    """One bad date read, one undated article, and articles relating to both."""
    site.article("news", "good", related=["bad-date", "backwards", "nowhere"])
    site.article("news", "bad-date", published="next tuesday")
    site.article("news", "backwards", updated="2024-02-19T09:00:00+08:00")
    site.article("news", "other", related=["bad-date"])


@pytest.mark.usefixtures("text_channel")
def test_quiet_and_verbose_after_the_subcommand(site: SiteFactory) -> None:
    site.article("news", "first")
    assert site.cli("publish", "-q").output == ""
    site.article("news", "second")
    assert site.cli("-q", "publish").output == ""
    verbose = site.cli("publish", "--force", "-v")
    assert verbose.exit_code == 0
    assert "written  text/second.txt" not in verbose.output  # unchanged: not rewritten
    site.article("news", "third")
    verbose = site.cli("publish", "--verbose")
    assert "written  text/third.txt" in verbose.output.splitlines()
    assert site.cli("check", "-q").output == ""
    assert site.cli("channels", "-v").exit_code == 0


def test_channel_subcommands_take_the_options_too(site: SiteFactory) -> None:
    helped = site.cli("newsletter", "build", "--help")
    assert helped.exit_code == 0
    assert "-q, --quiet" in helped.output and "-v, --verbose" in helped.output


def test_check_and_publish_print_problems_alike(site: SiteFactory) -> None:
    broken_site(site)
    checked = site.cli("check")
    published = site.cli("publish")
    assert checked.exit_code == published.exit_code == 1
    lines = problem_lines(checked.output)
    assert lines == problem_lines(published.output)
    assert lines == [
        "error: news/backwards.md:2: updated: is earlier than published",
        "error: news/bad-date.md:2: published: 'next tuesday' is not an ISO 8601 date-time "
        "with offset (2024-02-20T09:30:00+08:00) or a date (2024-02-20)",
    ]
    assert "warning: news/good.md:2: related: unknown slug 'nowhere' (no article has it); " in (
        checked.output
    )
    assert "3 problem(s) found\n" in checked.output
    assert "3 problem(s) found; nothing was published" in published.output


def test_check_json_for_tools(site: SiteFactory) -> None:
    broken_site(site)
    site.write_config(channels={"html": {"per_pag": 3}})
    result = site.cli("check", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert {"file", "line", "key", "message", "severity"} == set(problems[0])
    by_key = {p["key"]: p for p in problems}
    assert by_key["published"] == {
        "file": "news/bad-date.md",
        "line": 2,
        "key": "published",
        "message": "'next tuesday' is not an ISO 8601 date-time with offset "
        "(2024-02-20T09:30:00+08:00) or a date (2024-02-20)",
        "severity": "error",
    }
    setting = by_key["channels.html.per_pag"]
    assert setting["file"] == str(site.config_path) and setting["message"] == "unknown setting"
    assert len(problems) == 4


def test_bad_config_is_json_too(site: SiteFactory) -> None:
    site.settings = {"site": {"title": "T"}}  # type: ignore[assignment]
    site.write_config()
    result = site.cli("check", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "file": str(site.config_path),
            "line": None,
            "key": "site.base_url",
            "message": "Field required",
            "severity": "error",
        }
    ]


def test_a_bad_channel_setting_names_the_file_once(site: SiteFactory) -> None:
    site.article("news", "first")
    site.write_config(channels={"html": {"per_pag": 3}})
    for command in ("check", "publish"):
        output = site.cli(command).output
        assert f"error: {site.config_path}: channels.html.per_pag: unknown setting" in output
        assert "syndicate.yaml: " + str(site.config_path) not in output
        assert output.count("syndicate.yaml") == 1, output


@pytest.mark.usefixtures("text_channel")
def test_publish_prints_what_it_wrote_by_channel(site: SiteFactory) -> None:
    site.article("news", "first")
    site.article("news", "second")
    (site.root / "static").mkdir()
    (site.root / "static/logo.svg").write_text("<svg/>", encoding="utf-8")

    def table(output: str) -> dict[str, tuple[int, int, int]]:
        rows = {}
        for line in output.splitlines():
            match = re.fullmatch(r"(\S+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)", line)
            if match:
                rows[match[1]] = (int(match[2]), int(match[3]), int(match[4]))
        return rows

    first = site.cli("publish").output
    assert "channel  written  unchanged  removed" in first
    # text/first.txt, text/second.txt, text/index.txt; static/logo.svg
    assert table(first) == {"text": (3, 0, 0), "static": (1, 0, 0), "total": (4, 0, 0)}
    (site.content / "news/second.md").unlink()
    second = site.cli("publish").output
    assert table(second) == {"text": (1, 1, 1), "static": (0, 1, 0), "total": (1, 2, 1)}


def test_progress_counts_articles_not_pieces(site: SiteFactory) -> None:
    for n in range(3):
        site.article("news", f"story-{n}")
    phases: list[tuple[str, int]] = []
    done: dict[str, float] = {}

    def start(description: str, total: int) -> None:
        phases.append((description, total))
        done[description] = 0

    def advance(n: float) -> None:
        done[phases[-1][0]] += n

    progress = Progress(start, advance)
    publish(site.config(), channels=["html", "print"], progress=progress)  # two per article
    assert ("rendering articles", 3) in phases
    assert done["rendering articles"] == pytest.approx(3)

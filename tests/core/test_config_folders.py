"""Overlapping folders are config errors, found by `check` and `publish` before anything is
read or written, naming the key (issue #16, defects 6 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SiteFactory

pytestmark = pytest.mark.usefixtures("text_channel")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"output_dir": "/"}, "output_dir: / is the root of the file system"),
        ({"output_dir": ""}, "is the site folder"),
        ({"output_dir": "."}, "is the site folder"),
        ({"output_dir": "sub/.."}, "is the site folder"),
        ({"output_dir": ".."}, "contains the site folder"),
        ({"output_dir": "content"}, "output_dir: {root}/content is content_dir"),
        ({"output_dir": "content/out"}, "is inside content_dir"),
        ({"output_dir": "static"}, "is static_dir"),
        ({"output_dir": ".syndicate"}, "contains state_dir"),
        ({"output_dir": ".syndicate/cache/site"}, "is inside cache_dir"),
        ({"state_dir": "public/state"}, "output_dir: {root}/public contains state_dir"),
        ({"cache_dir": "public"}, "is cache_dir"),
        ({"static_dir": "."}, "static_dir: {root} is the site folder"),
        ({"static_dir": ""}, "static_dir: {root} is the site folder"),
        ({"static_dir": "content"}, "static_dir: {root}/content is content_dir"),
        ({"static_dir": ".syndicate"}, "static_dir: {root}/.syndicate contains state_dir"),
        ({"permalink": "../{slug}/"}, "permalink: must be a plain path"),
        ({"permalink": "{section}/./{slug}"}, "permalink: must be a plain path"),
    ],
)
def test_overlapping_folders_are_config_errors(
    site: SiteFactory, settings: dict[str, str], expected: str
) -> None:
    site.article("news", "first")
    site.write_config(**settings)
    for command in ("check", "publish"):
        result = site.cli(command)
        assert result.exit_code == 1, result.output
        assert expected.format(root=site.root) in result.output
        assert "unexpected" not in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in site.root.iterdir()) == ["content", "syndicate.yaml"]


def test_the_home_folder_is_never_an_output(
    site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    site.article("news", "first")
    site.write_config(output_dir=str(tmp_path))
    result = site.cli("check")
    assert result.exit_code == 1 and f"is the home folder {tmp_path}" in result.output


def test_folders_are_compared_after_resolving_symlinks(site: SiteFactory) -> None:
    site.article("news", "first")
    (site.root / "looks-harmless").symlink_to(site.content)
    site.write_config(output_dir="looks-harmless")
    result = site.cli("check")
    assert result.exit_code == 1 and f"{site.content} is content_dir" in result.output


@pytest.mark.parametrize("out", ["content", ".", "/", ".syndicate/state"])
def test_publish_out_gets_the_same_checks(site: SiteFactory, out: str) -> None:
    site.article("news", "first")
    result = site.cli("publish", "--out", str(site.root / out))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: --out: ")
    assert (site.content / "news/first.md").is_file()
    assert not (site.root / "public").exists()


def test_a_sibling_output_folder_is_fine(site: SiteFactory) -> None:
    site.article("news", "first")
    site.write_config(output_dir="../www")
    result = site.cli("publish")
    assert result.exit_code == 0, result.output
    assert (site.root.parent / "www/text/first.txt").is_file()

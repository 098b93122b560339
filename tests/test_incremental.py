"""An incremental publish must produce exactly what a full rebuild produces."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from syndicate.cli import cli

REPO = Path(__file__).resolve().parent.parent


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_edits_published_incrementally_match_a_cold_build(tmp_path: Path) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copy(REPO / "syndicate.yaml", tmp_path / "syndicate.yaml")
    config = str(tmp_path / "syndicate.yaml")
    runner = CliRunner()

    def publish(*args: str) -> None:
        result = runner.invoke(
            cli,
            ["--config", config, "publish", "--channels", "html,feeds,print", *args],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output

    publish()
    # A title that appears in other pages' related lists, prev/next links and feeds,
    # a removed article, and a new one.
    sora = tmp_path / "content/finance/financial-focus/sora-film-industry.md"
    sora.write_text(
        sora.read_text(encoding="utf-8").replace("title: 'AI & the", "title: 'Edited: AI & the", 1),
        encoding="utf-8",
    )
    (tmp_path / "content/finance/markets/bond-yields-holiday.md").unlink()
    for text in (tmp_path / "content").rglob("*.md"):  # drop it from related lists
        body = text.read_text(encoding="utf-8")
        text.write_text(body.replace(", bond-yields-holiday]", "]"), encoding="utf-8")
    (tmp_path / "content/tech/ai/new-story.md").write_text(
        "---\ntitle: A brand new story\npublished: 2024-02-29T08:00:00+08:00\ntags: [AI]\n"
        "---\nFresh text.\n",
        encoding="utf-8",
    )
    publish()
    publish("--force", "--out", str(tmp_path / "cold"))
    incremental, cold = tree(tmp_path / "public"), tree(tmp_path / "cold")
    assert incremental.keys() == cold.keys()
    assert [p for p in incremental if incremental[p] != cold[p]] == []
    page = incremental["finance/financial-focus/sora-film-industry/index.html"]
    assert b"Edited: AI &amp; the" in page
    assert "finance/markets/bond-yields-holiday/index.html" not in incremental
    assert "tech/ai/new-story/index.html" in incremental

"""The bundled sample news center publishes cleanly through every installed channel."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from syndicate.cli import cli

REPO = Path(__file__).resolve().parent.parent


def test_sample_site_checks_and_publishes(tmp_path: Path) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copytree(REPO / "static", tmp_path / "static")
    shutil.copy(REPO / "syndicate.yaml", tmp_path / "syndicate.yaml")
    config = str(tmp_path / "syndicate.yaml")
    runner = CliRunner()
    checked = runner.invoke(cli, ["--config", config, "check"], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    result = runner.invoke(cli, ["--config", config, "publish"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "published 16 articles (1 drafts skipped)" in result.output
    public = tmp_path / "public"
    assert (public / "index.html").is_file()
    assert (public / "atom.xml").is_file()
    assert (public / "finance/financial-focus/sora-film-industry/index.html").is_file()
    assert (public / "media/sora-frame.jpg").is_file()  # static/ is copied
    assert not list(public.rglob("*lantern-festival-program*"))  # the draft

"""The static folder publishes its files and nothing private (issue #16, defect 6):
no dot-files or dot-folders, nothing a symlink leads to outside it."""

from __future__ import annotations

import pytest
from conftest import SiteFactory

pytestmark = pytest.mark.usefixtures("text_channel")


def test_private_files_and_symlinks_out_are_skipped_with_a_warning(site: SiteFactory) -> None:
    site.article("news", "first")
    static = site.root / "static"
    (static / "media").mkdir(parents=True)
    (static / "media/photo.jpg").write_bytes(b"\xff\xd8jpeg")
    (static / ".git").mkdir()
    (static / ".git/config").write_text("[remote]\n", encoding="utf-8")
    (static / ".env").write_text("TOKEN=secret\n", encoding="utf-8")
    (static / "media/.DS_Store").write_bytes(b"x")
    outside = site.root.parent / "outside.txt"
    outside.write_text("not for the web\n", encoding="utf-8")
    (static / "passwd").symlink_to(outside)
    (static / "up").symlink_to(site.root)  # a folder out of the static folder
    (static / "env-link").symlink_to(static / ".env")
    (static / "logo.jpg").symlink_to(static / "media/photo.jpg")  # inside: copied
    (static / "gone.txt").symlink_to(static / "missing.txt")
    result = site.cli("publish")
    assert result.exit_code == 0, result.output
    out = site.root / "public"
    published = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() or p.is_symlink()
    )
    assert published == [
        ".syndicate-manifest.json",
        "logo.jpg",
        "media/photo.jpg",
        "text/first.txt",
        "text/index.txt",
    ]
    assert not (out / "logo.jpg").is_symlink()
    assert (out / "logo.jpg").read_bytes() == b"\xff\xd8jpeg"
    for name in (".git", ".env", "media/.DS_Store", "passwd", "up", "env-link", "gone.txt"):
        assert f"warning: {static / name}: skipped" in result.output
    assert "not for the web" not in "".join(
        (out / rel).read_text(encoding="utf-8", errors="replace") for rel in published
    )

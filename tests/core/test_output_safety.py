"""Publishing never removes or replaces a file the tool did not write (issue #16, defect 1),
and a publish killed mid-commit is finished by the next one (defect 10)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SiteFactory
from text_site import publish, stories

from syndicate.writer import load_manifest

pytestmark = pytest.mark.usefixtures("text_channel")

TESTS = Path(__file__).resolve().parent.parent
MANIFEST = ".syndicate-manifest.json"
CHANGES = ".syndicate-manifest-changes.json"


def test_first_publish_keeps_files_already_in_the_folder(site: SiteFactory) -> None:
    site.article("news", "first")
    mydocs = site.root / "mydocs"
    (mydocs / "notes/empty").mkdir(parents=True)
    (mydocs / "precious.txt").write_text("x\n", encoding="utf-8")
    (mydocs / ".git").mkdir()
    (mydocs / ".git/HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    publish(site, "--out", str(mydocs))
    assert (mydocs / "precious.txt").read_text(encoding="utf-8") == "x\n"
    assert (mydocs / ".git/HEAD").is_file() and (mydocs / "notes/empty").is_dir()
    assert (mydocs / "text/first.txt").is_file()
    files = json.loads((mydocs / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert "precious.txt" not in files and "text/first.txt" in files


def test_only_folders_we_made_are_pruned(site: SiteFactory) -> None:
    stories(site)
    static = site.root / "static"
    for name in ("media/photo.jpg", "downloads/report.pdf"):
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_bytes(b"data")
    mydocs = site.root / "mydocs"
    (mydocs / "media").mkdir(parents=True)  # there before us, empty
    publish(site, "--out", str(mydocs))
    (static / "media/photo.jpg").unlink()
    (static / "downloads/report.pdf").unlink()
    publish(site, "--out", str(mydocs))  # two removals: in place
    assert (mydocs / "media").is_dir()  # not ours: kept, though empty
    assert not (mydocs / "downloads").exists()  # ours, emptied: pruned


def test_swap_and_in_place_commits_keep_foreign_files(site: SiteFactory) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    (out / "precious.txt").write_text("mine\n", encoding="utf-8")
    (out / "text/notes.md").write_text("also mine\n", encoding="utf-8")
    inode = out.stat().st_ino
    site.article("news", "story-5", title="Edited")  # a small edit: in place
    publish(site)
    assert out.stat().st_ino == inode
    for n in range(12):  # every file changes: a whole-folder swap
        site.article("news", f"story-{n}", title=f"Rewritten {n}")
    publish(site)
    assert out.stat().st_ino != inode  # the swap path was taken
    assert (out / "precious.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / "text/notes.md").read_text(encoding="utf-8") == "also mine\n"
    for n in range(12):  # removing every article empties text/ of our files only
        (site.content / f"news/story-{n}.md").unlink()
    site.article("news", "other")
    publish(site)
    assert (out / "text/notes.md").is_file() and not (out / "text/story-1.txt").exists()


def test_deleting_the_cache_does_not_make_our_files_foreign(site: SiteFactory) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    (out / "precious.txt").write_text("mine\n", encoding="utf-8")
    shutil.rmtree(site.root / ".syndicate")
    site.article("news", "story-5", title="Edited")
    publish(site)  # our files are still ours: replaced without complaint
    assert (out / "text/story-5.txt").read_text(encoding="utf-8") == "Edited\n"
    shutil.rmtree(site.root / ".syndicate")
    publish(site, "--force")
    assert (out / "precious.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("small", [True, False], ids=["in-place", "swap"])
def test_a_foreign_file_in_the_way_is_refused_and_kept(site: SiteFactory, small: bool) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    (out / "text/new-story.txt").write_text("a reporter's notes\n", encoding="utf-8")
    if not small:
        for n in range(12):
            site.article("news", f"story-{n}", title=f"Rewritten {n}")
    site.article("news", "new-story")
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "text/new-story.txt: not written by syndicate" in result.output
    assert "Traceback" not in result.output
    assert (out / "text/new-story.txt").read_text(encoding="utf-8") == "a reporter's notes\n"
    assert (out / "text/story-1.txt").read_text(encoding="utf-8") == "Story 1\n"  # unchanged
    assert not (site.root / ".public.staging").exists()


def test_symlinks_in_the_output_are_kept_and_never_written_through(site: SiteFactory) -> None:
    stories(site)
    publish(site)
    elsewhere = site.root.parent / "elsewhere"
    elsewhere.mkdir()
    out = site.root / "public"
    (out / "media").symlink_to(elsewhere)
    site.write_config(channels={"text": {"suffix": ".md"}})
    publish(site)  # every path changes (swap): the symlink is kept, not followed
    assert (out / "media").is_symlink() and list(elsewhere.iterdir()) == []
    shutil.rmtree(out / "text")
    (out / "text").symlink_to(elsewhere)  # our folder, now a symlink out of the site
    site.article("news", "story-5", title="Edited")
    result = site.cli("publish")
    assert result.exit_code == 1 and "public/text: not written by syndicate" in result.output
    assert list(elsewhere.iterdir()) == []


def test_publish_into_the_site_folder_no_longer_destroys_it(site: SiteFactory) -> None:
    site.article("news", "first")
    mydocs = site.root / "mydocs"
    mydocs.mkdir()
    (mydocs / "text").write_text("a file where a folder goes\n", encoding="utf-8")
    result = site.cli("publish", "--out", str(mydocs))
    assert result.exit_code == 1 and "mydocs/text: not written by syndicate" in result.output
    assert (mydocs / "text").read_text(encoding="utf-8") == "a file where a folder goes\n"


def test_a_folder_in_the_way_of_staging_is_not_removed(site: SiteFactory) -> None:
    site.article("news", "first")
    theirs = site.root / ".public.staging"
    theirs.mkdir(parents=True)
    (theirs / "keep.txt").write_text("x", encoding="utf-8")
    result = site.cli("publish")
    assert result.exit_code == 1 and ".public.staging: in the way" in result.output
    assert (theirs / "keep.txt").exists()


def test_the_manifest_name_is_reserved(site: SiteFactory) -> None:
    site.article("news", "first")
    site.write_config(channels={"text": {"suffix": ".txt"}})
    from syndicate.errors import PublishError
    from syndicate.writer import StagedOutput

    staged = StagedOutput(site.root / "public", site.root / "cache")
    with pytest.raises(PublishError, match="reserved"):
        staged.add(MANIFEST, b"{}")
    staged.abort()


KILLING_PUBLISH = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from importlib.metadata import EntryPoint
import syndicate.channel as channel_module
import syndicate.writer as writer
from syndicate.cli import cli

entry = EntryPoint(name="text", value="sample_channel:TextChannel", group="syndicate.channels")
installed = {{"text": channel_module.InstalledChannel("text", entry)}}
channel_module.installed_channels = lambda: dict(installed)
real_replay, real_replace = writer.replay, os.replace

def replay(*args, **kwargs):
    done = []
    def replace(source, target):
        if len(done) == {after}:
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9 between two renames
        done.append(target)
        real_replace(source, target)
    os.replace = replace
    try:
        real_replay(*args, **kwargs)
    finally:
        os.replace = real_replace

writer.replay = replay
cli(["--config", {config!r}, "publish"])
"""


@pytest.mark.parametrize("then", ["as-is", "cache-deleted", "edit-undone"])
def test_a_publish_killed_mid_commit_is_finished_by_the_next(site: SiteFactory, then: str) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    (out / "precious.txt").write_text("mine\n", encoding="utf-8")
    manifest = (out / MANIFEST).read_bytes()
    before = {n: site.content / f"news/story-{n}.md" for n in (5, 6)}
    saved = {n: (path.read_bytes(), path.stat().st_mtime_ns) for n, path in before.items()}
    site.article("news", "story-5", title="Edited five")
    site.article("news", "story-6", title="Edited six")
    script = KILLING_PUBLISH.format(tests=str(TESTS), config=str(site.config_path), after=1)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    changed = ["text/story-5.txt", "text/story-6.txt", "text/index.txt"]
    new = [rel for rel in changed if "Edited" in (out / rel).read_text(encoding="utf-8")]
    assert len(new) == 1  # what a crash can leave: some files new, the rest old
    assert (out / MANIFEST).read_bytes() == manifest  # the manifest moves last
    assert not (out / CHANGES).exists()  # and so do its changes
    if then == "cache-deleted":
        shutil.rmtree(site.root / ".syndicate")
    if then == "edit-undone":  # the inputs are those of the last complete publish again
        for n, (text, mtime) in saved.items():
            before[n].write_bytes(text)
            os.utime(before[n], ns=(mtime, mtime))
    assert "nothing changed" not in publish(site)
    expected = ("Story 5", "Story 6") if then == "edit-undone" else ("Edited five", "Edited six")
    assert (out / "text/story-5.txt").read_text(encoding="utf-8") == f"{expected[0]}\n"
    assert (out / "text/story-6.txt").read_text(encoding="utf-8") == f"{expected[1]}\n"
    assert expected[1] in (out / "text/index.txt").read_text(encoding="utf-8")
    assert (out / "precious.txt").read_text(encoding="utf-8") == "mine\n"
    assert not (site.root / ".public.staging").exists()
    assert "nothing changed" in publish(site)


def test_a_lost_manifest_makes_our_old_files_foreign_and_says_what_to_do(
    site: SiteFactory,
) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    (out / MANIFEST).unlink()
    result = site.cli("publish", "--force")
    assert result.exit_code == 1
    assert "and 8 more (if syndicate wrote them and its .syndicate-manifest.json was lost" in (
        result.output
    )
    assert (out / "text/story-1.txt").is_file()


def test_a_forged_manifest_entry_never_reaches_outside_the_folder(site: SiteFactory) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    victim = site.root / "victim.txt"
    victim.write_text("keep\n", encoding="utf-8")
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    data["files"]["../victim.txt"] = "0" * 32
    data["files"]["/etc/hostname"] = "0" * 32
    (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    site.article("news", "story-5", title="Edited")
    publish(site)
    assert victim.read_text(encoding="utf-8") == "keep\n"
    assert "../victim.txt" not in load_manifest(out, out / "none").files


def test_force_writes_again_what_was_deleted_from_the_output(site: SiteFactory) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    untouched = (out / "text/story-2.txt").stat().st_mtime_ns
    (out / "text/story-1.txt").unlink()
    assert "nothing changed" in publish(site)  # the stamps look at inputs, not every file
    assert "1 written" in publish(site, "--force")
    assert (out / "text/story-1.txt").read_text(encoding="utf-8") == "Story 1\n"
    assert (out / "text/story-2.txt").stat().st_mtime_ns == untouched


def test_a_file_added_during_a_swap_is_kept(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate import writer

    stories(site)
    publish(site)
    out = site.root / "public"
    real_swap = writer.swap_in

    def swap_after_a_late_write(staging: Path, live: Path) -> None:
        (live / "late").mkdir()
        (live / "late/notes.txt").write_text("saved mid-publish\n", encoding="utf-8")
        real_swap(staging, live)

    monkeypatch.setattr(writer, "swap_in", swap_after_a_late_write)
    site.write_config(channels={"text": {"suffix": ".md"}})  # every file: a swap
    publish(site)
    assert (out / "late/notes.txt").read_text(encoding="utf-8") == "saved mid-publish\n"
    assert (out / "text/story-1.md").is_file()

#!/usr/bin/env python3
"""What an edit's commit costs in place (file renames under a journal) and as a whole-folder
swap (every unchanged file hard-linked into staging, one atomic exchange).

    python3 benchmarks/commit_speed.py [--articles 10000] [--rounds 3] [--workdir DIR]

Writes a synthetic site (N articles in 20 sections with 50 tags), publishes it once with
the html and feeds channels, then edits one article's title per round and publishes it
twice: committed in place (the default for small changes) and forced to swap. Prints the
median wall time of each publish and of its commit alone, and the ratio. This is the
measurement behind the README's "what a crash can leave" (issue #16, defect 10): a swap
on every edit would make every commit atomic as a whole, at this cost.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from syndicate import writer
from syndicate.config import load_config
from syndicate.pipeline import publish

CONFIG = "site:\n  title: Bench\n  base_url: https://news.example.com/\n"


def make_site(root: Path, articles: int) -> None:
    (root / "syndicate.yaml").write_text(CONFIG, encoding="utf-8")
    for n in range(articles):
        path = root / "content" / f"section-{n % 20}" / f"story-{n:05}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        day = n % 28 + 1
        path.write_text(
            f"---\ntitle: Story {n}\npublished: 2024-02-{day:02}T08:{n % 60:02}:00Z\n"
            f"tags: [tag-{n % 50}]\n---\nParagraph one of story {n}.\n\nParagraph two.\n",
            encoding="utf-8",
        )


def edit(root: Path, round_: int, label: str) -> None:
    path = root / "content/section-3/story-00003.md"
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text[1] = f"title: Story 3, edit {round_} {label}\n"
    path.write_text("".join(text), encoding="utf-8")


class CommitClock:
    """Times StagedOutput.commit, the part the two ways differ in."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._real = writer.StagedOutput.commit

    def __enter__(self) -> CommitClock:
        clock = self
        real = self._real

        def timed(staged: writer.StagedOutput) -> writer.WriteReport:
            started = time.perf_counter()
            try:
                return real(staged)
            finally:
                clock.seconds = time.perf_counter() - started

        writer.StagedOutput.commit = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        writer.StagedOutput.commit = self._real  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="commit-speed-"))
    make_site(root, args.articles)
    config = load_config(root / "syndicate.yaml")
    channels = ["html", "feeds"]
    publish(config, channels=channels)
    results: dict[str, list[tuple[float, float]]] = {"in place": [], "swap": []}
    default_share = writer.StagedOutput.SWAP_SHARE
    for round_ in range(args.rounds):
        for label, share in (("in place", default_share), ("swap", 0.0)):
            edit(root, round_, label)
            writer.StagedOutput.SWAP_SHARE = share
            with CommitClock() as clock:
                started = time.perf_counter()
                outcome = publish(config, channels=channels)
                total = time.perf_counter() - started
            results[label].append((total, clock.seconds))
            print(f"round {round_ + 1} {label:8}: {total:6.2f} s, commit {clock.seconds:5.2f} s, "
                  f"{len(outcome.write.written)} files written")  # fmt: skip
    writer.StagedOutput.SWAP_SHARE = default_share
    files = sum(1 for p in (root / "public").rglob("*") if p.is_file())
    print(f"\n{args.articles} articles, {files} output files; medians of {args.rounds} rounds")
    base_total = statistics.median(t for t, _ in results["in place"])
    base_commit = statistics.median(c for _, c in results["in place"])
    for label, rows in results.items():
        total = statistics.median(t for t, _ in rows)
        commit = statistics.median(c for _, c in rows)
        print(f"{label:8}  publish {total:6.2f} s ({total / base_total:4.2f}x)   "
              f"commit {commit:5.2f} s ({commit / base_commit:5.1f}x)")  # fmt: skip
    if not args.workdir:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`syndicate publish` through a resident publisher against a publish in its own process,
side by side on one site (a corpus from ../shared/bench/make_corpus.py).

    .venv/bin/python benchmarks/resident_cli.py SITE [--edits 5] [--channels html,feeds]

Each edit retitles one story (`sed -i` style: a new file renamed over the old one) and
runs `syndicate -q publish` at once, as an editor would. Prints every run and the median
of each scenario, the ratio of the resident's to the plain publish's, and the resident
publisher's memory (PSS). The resident publisher is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from syndicate.engine.daemon import serving


def publish(site: Path, channels: str, *flags: str) -> float:
    command = [sys.executable, "-m", "syndicate", "-q", "publish", "--channels", channels]
    started = time.perf_counter()
    done = subprocess.run([*command, *flags], cwd=site, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"publish failed: {done.stderr}")
    return seconds


def retitle(story: Path, n: int) -> None:
    text = story.read_text(encoding="utf-8")
    new = f"title: Edit {n}-{time.time_ns()} "
    text = re.sub(r"^title: (Edit \S+ )?", new, text, count=1, flags=re.M)
    temporary = story.with_name(f".{story.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, story)


def pss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--plain-edits", type=int, default=2, help="edits published in-process")
    parser.add_argument("--channels", default="html,feeds")
    args = parser.parse_args()
    site, channels = args.site.resolve(), args.channels
    story = sorted((site / "content").rglob("story-0001*.md"))[0]
    runs: dict[str, list[float]] = {}

    def run(name: str, *flags: str) -> None:
        runs.setdefault(name, []).append(publish(site, channels, *flags))

    run("plain: no-op", "--no-resident")  # also brings the output up to date
    for n in range(args.plain_edits):
        retitle(story, n)
        run("plain: one edit", "--no-resident")
    run("plain: no-op", "--no-resident")
    run("resident: start", "--resident")
    run("resident: first, after warm-up", "--resident")  # waits for the warm-up
    time.sleep(3)  # its idle work
    for _ in range(3):
        run("resident: no-op", "--resident")
    for n in range(args.edits):
        retitle(story, 100 + n)
        run("resident: one edit", "--resident")
    for n in range(args.edits):
        time.sleep(2)
        retitle(story, 200 + n)
        run("resident: one edit, 2 s apart", "--resident")
    found = serving(site / "syndicate.yaml")
    assert found is not None, "no resident publisher runs"
    pid = found[0]
    memory = pss_mb(pid)
    os.kill(pid, signal.SIGTERM)
    while os.path.exists(f"/proc/{pid}"):
        time.sleep(0.1)

    articles = sum(1 for _ in (site / "content").rglob("story-*.md"))
    print(f"{site}: {articles} stories, channels {channels}, {os.cpu_count()} cores")
    print(f"{'scenario':34} {'median s':>9}  runs")
    for name, seconds in runs.items():
        shown = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"{name:34} {statistics.median(seconds):9.2f}  {shown}")
    plain = statistics.median(runs["plain: one edit"])
    kept = statistics.median(runs["resident: one edit"])
    print(f"one edit, resident / plain: {kept / plain:.3f}")
    print(f"resident publisher: {memory:.0f} MB PSS after the runs")


if __name__ == "__main__":
    main()

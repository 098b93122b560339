#!/usr/bin/env python3
"""One edit published by a resident publisher, in-process: what `syndicate watch` does
after a save, without the watcher and the process around it.

    python3 benchmarks/resident_edit.py SITE [--edits 6] [--channels html,feeds]

SITE is a site folder (e.g. `../shared/bench/make_corpus.py /tmp/c100k --articles
100000`); its articles' headlines are edited in place (the site is not copied: use a
scratch corpus). Publishes once to warm up (a cold build if the cache is cold), then
edits one headline at a time and publishes with the edited path, as `watch` passes the
paths its watcher saw. Prints each publish's wall and CPU time: compare runs made in one
session, machines are noisy.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from syndicate.config import load_config
from syndicate.engine.cache import Resident
from syndicate.pipeline import publish, when_idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--channels", default="html,feeds")
    args = parser.parse_args()
    config = load_config(args.site / "syndicate.yaml")
    channels = args.channels.split(",")
    resident = Resident(save_when_idle=True)  # as watch: the cache is saved when idle
    started = time.perf_counter()
    publish(config, channels=channels, resident=resident, skip_if_unchanged=False)
    warm = time.perf_counter() - started
    idle = time.perf_counter()
    when_idle(resident)  # watch falls idle after its first publish too
    print(f"warm-up publish: {warm:.2f} s (then idle work: {time.perf_counter() - idle:.2f} s)")
    articles = sorted(p for p in (args.site / "content").rglob("*.md") if p.name != "_index.md")
    for edit in range(args.edits):
        path = articles[(edit * 7919) % len(articles)]
        text = path.read_text(encoding="utf-8")
        stamp = f"Edit {edit}.{time.time_ns()} "
        edited = re.sub(r"^title: (Edit \S+ )?", f"title: {stamp}", text, count=1, flags=re.M)
        path.write_text(edited, encoding="utf-8")
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = publish(config, channels=channels, resident=resident, changed=[str(path)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        written = len(outcome.write.written)
        idle = time.perf_counter()
        when_idle(resident)  # what watch does once a second passes without a save
        idle = time.perf_counter() - idle
        print(
            f"edit {edit}: {wall:.3f} s wall, {cpu:.3f} s CPU, {written} files written "
            f"(then idle work, the cache saved: {idle:.3f} s)"
        )


if __name__ == "__main__":
    main()

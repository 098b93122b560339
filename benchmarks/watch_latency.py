#!/usr/bin/env python3
"""Save-to-live time of one article edit: `syndicate watch` against `syndicate publish`.

    python3 benchmarks/watch_latency.py SITE [--edits 7] [--channels html,feeds]

SITE is a site folder (syndicate.yaml + content/), e.g. one written by
`../shared/bench/make_corpus.py /tmp/c10k --articles 10000`; it is copied to a scratch
folder first, so SITE is never touched. After a cold publish, the same kind of edit (one
article's headline) is made `--edits` times in each of two ways, one after the other:

- watch: `syndicate watch` runs (its first look at the site done); timed from the
  file's save until its page on disk shows the new headline (polled every 2 ms), and
  until watch reports the publish done (the feeds and lists included);
- cli: watch stopped, the file is saved, then `syndicate publish --no-resident` runs as
  a new process; timed until it exits (interpreter start, imports and cache load
  included, as from cron).

Prints the medians and the ratio. Machines are noisy: compare ratios made in one run.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def syndicate(site: Path, *args: str, quiet: bool = True) -> list[str]:
    config = str(site / "syndicate.yaml")
    return [
        sys.executable,
        "-m",
        "syndicate",
        *(["-q"] if quiet else []),
        "--config",
        config,
        *args,
    ]


def pump(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


def wait_for(lines: queue.Queue[str], text: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if text in lines.get(timeout=1):
                return
        except queue.Empty:
            continue
    raise SystemExit(f"watch never printed {text!r}")


def retitle(article: Path, edit: int) -> str:
    """A new headline for `article` (same file otherwise); returns it."""
    text = article.read_text(encoding="utf-8")
    headline = f"Edited headline number {edit}"
    article.write_text(re.sub(r"^title: .*$", f'title: "{headline}"', text, count=1, flags=re.M),
                       encoding="utf-8")  # fmt: skip
    return headline


def page_of(site: Path, article: Path) -> Path:
    """The article's page: the first output page whose folder is the article's slug."""
    slug = re.search(r"^slug: *(\S+)", article.read_text(encoding="utf-8"), re.M)
    name = slug.group(1) if slug else article.stem
    found = next((site / "public").rglob(f"{name}/index.html"), None)
    if found is None:
        raise SystemExit(f"no page for {article}")
    return found


def until_shows(page: Path, headline: str, seconds: float = 120) -> float:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if headline in page.read_text(encoding="utf-8"):
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit(f"{page} never showed {headline!r}")


def settled(site: Path) -> None:
    """Wait until watch has done its idle work: it saves its build cache once a second
    passes without a save, under the publish lock (10 s at 100,000 articles the first
    time). An edit timed during that save would time the save; a watch stopped during
    it would hold the lock the CLI publish below waits for."""
    from syndicate.config import load_config
    from syndicate.engine.lock import publish_lock

    time.sleep(1.5)  # watch falls idle after a second without a save
    with publish_lock(load_config(site / "syndicate.yaml").cache_dir):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=7)
    parser.add_argument("--channels", default="html,feeds")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="watch-latency-"))
    site = scratch / "site"
    shutil.copytree(args.site, site, ignore=shutil.ignore_patterns("public", ".syndicate"))
    articles = sorted(p for p in (site / "content").rglob("*.md") if p.name != "_index.md")
    old = time.time() - 3600  # older than the racy window: the cache keeps them
    for path in articles:
        os.utime(path, (old, old))
    channels = ("--channels", args.channels)
    subprocess.run(syndicate(site, "publish", *channels), check=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    watch = subprocess.Popen(
        syndicate(site, "watch", *channels, quiet=False),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=pump, args=(watch.stdout, lines), daemon=True).start()
    wait_for(lines, "watching ")  # the banner, then the first publish
    wait_for(lines, "watching content")  # its watcher runs: edits are seen from now on
    live, done, cli = [], [], []
    try:
        for edit in range(args.edits):
            article = articles[(edit * 7919) % len(articles)]
            page = page_of(site, article)
            settled(site)
            started = time.perf_counter()
            headline = retitle(article, 2 * edit)
            live.append(until_shows(page, headline) - started)
            wait_for(lines, "changed ")
            done.append(time.perf_counter() - started)
        # Then the CLI, with watch stopped: a publish by another process changes the
        # output under watch, whose next edit then plans every page anew (as it must).
        settled(site)
        os.kill(watch.pid, signal.SIGSTOP)
        for edit in range(args.edits):
            article = articles[(edit * 7919 + 1) % len(articles)]
            page = page_of(site, article)
            started = time.perf_counter()
            headline = retitle(article, 2 * edit + 1)
            # --no-resident: a publish in its own process (without it, the publish asks
            # the running watch, stopped here, and would measure watch again)
            subprocess.run(syndicate(site, "publish", *channels, "--no-resident"), check=True)
            cli.append(time.perf_counter() - started)
            assert headline in page.read_text(encoding="utf-8")
        os.kill(watch.pid, signal.SIGCONT)
    finally:
        watch.terminate()
        watch.wait(60)
        shutil.rmtree(scratch, ignore_errors=True)
    count = len(articles)
    print(f"{count:,} articles, {args.edits} edits each way, channels {args.channels}; medians:")
    print(f"  watch, save -> page live      {statistics.median(live):7.3f} s")
    print(f"  watch, save -> publish done   {statistics.median(done):7.3f} s")
    print(f"  cli publish, save -> exit     {statistics.median(cli):7.3f} s")
    print(f"  (watch, live, each edit: {', '.join(f'{t:.3f}' for t in live)} s)")
    print(
        f"  watch / cli (publish done)    {statistics.median(done) / statistics.median(cli):7.2f}"
    )


if __name__ == "__main__":
    main()

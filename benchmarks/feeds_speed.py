#!/usr/bin/env python3
"""CPU of the feeds channel's share of a cold publish: planning, then rendering, by kind.

    python /work/shared/bench/make_corpus.py /tmp/f10k --articles 10000
    python3 benchmarks/feeds_speed.py /tmp/f10k [--repeat 3] [--workers 2] [--profile]

Builds the site model once in this process (bodies in memory, as in a cold publish;
article fingerprints worked out first, since every channel's keys share them), then,
with a fresh channel each round (so no item or entry is cached yet):

- planning: `FeedsChannel.render_site(site)` up to the list of `Page` pieces (what
  the publishing process does before handing pieces to workers);
- rendering: `.files()` of every piece, in the pipeline's order, split by kind (site
  feed, section feeds, tag feeds, RFC 5005 archive pages). Items and entries are cached
  across pieces, so a kind rendered later profits from what earlier ones built.

`--workers N` also renders the pieces in N forked processes with the pipeline's strided
chunks (see syndicate/render.py) and prints their summed CPU: what a real publish pays,
including items rebuilt in each worker. Best of --repeat rounds (the machine is noisy).
Writing files is not included: time `syndicate publish --channels feeds` for that.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import resource
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from syndicate.channel import Channel, Deferred, OutputFile, Page
from syndicate.config import load_config
from syndicate.engine.cache import BuildCache
from syndicate.engine.cachefile import secret_key
from syndicate.model import Site
from syndicate.pipeline import load_site, make_channels
from syndicate.render import piece_renderer

KINDS = ("site", "sections", "tags", "archive", "other")


def kind_of(paths: Sequence[str]) -> str:
    path = paths[0] if paths else ""
    if path.startswith("archive/"):
        return "archive"
    if path.startswith("tags/"):
        return "tags"
    if path in ("atom.xml", "rss.xml", "feed.json"):
        return "site"
    if path.endswith(("atom.xml", "rss.xml", "feed.json")):
        return "sections"
    return "other"


def files_of(piece: OutputFile | Page | Deferred) -> Iterable[OutputFile]:
    return [piece] if isinstance(piece, OutputFile) else piece_renderer(piece)()


def one_round(channel: Channel, site: Site) -> dict[str, float]:
    """CPU seconds of planning and of each kind of piece; also the bytes written."""
    times = dict.fromkeys(("planning", *KINDS, "bytes"), 0.0)
    start = time.process_time()
    pieces = list(channel.render_site(site))
    times["planning"] = time.process_time() - start
    for piece in pieces:
        start = time.process_time()
        files = list(files_of(piece))
        times[kind_of([f.path for f in files])] += time.process_time() - start
        times["bytes"] += sum(len(f.content) for f in files)
    return times


def forked_round(channel: Channel, site: Site, workers: int) -> tuple[float, float]:
    """(planning CPU, summed worker CPU) with pieces spread as `render.py` spreads them."""
    start = time.process_time()
    pieces = list(channel.render_site(site))
    planning = time.process_time() - start
    count = len(pieces)
    size = max(8, min(256, count // (workers * 8)))
    stride = -(-count // size)
    chunks = [list(range(first, count, stride)) for first in range(stride)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pids = []
    for worker in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: its share of the chunks, as pool.map hands them out
            for chunk in chunks[worker::workers]:
                for index in chunk:
                    for _ in files_of(pieces[index]):
                        pass
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return planning, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, help="folder with syndicate.yaml and content/")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="also render in N forks")
    parser.add_argument("--profile", action="store_true", help="cProfile one round")
    args = parser.parse_args()

    config = load_config(args.corpus / "syndicate.yaml")
    start = time.process_time()
    cache = BuildCache.load(config.cache_dir, secret_key(config.state_dir))
    site = load_site(config, cache=cache).site
    for article in site.articles:
        article.body_html  # noqa: B018 - in memory, as in a cold publish
        article.fingerprint  # noqa: B018 - shared by every channel's keys
    print(f"{len(site.articles)} articles; site model built in {time.process_time() - start:.1f} s")
    gc.disable()  # as `publish` does (pipeline.cycle_collection_paused)

    def fresh() -> Channel:
        (channel,) = make_channels(config, ["feeds"], args.corpus / "public")
        return channel

    rounds = [one_round(fresh(), site) for _ in range(args.repeat)]
    best = {key: min(r[key] for r in rounds) for key in rounds[0]}
    totals = [r["planning"] + sum(r[k] for k in KINDS) for r in rounds]
    rendering = [sum(r[k] for k in KINDS) for r in rounds]
    print(f"one process, best of {args.repeat} (CPU seconds):")
    print(f"  planning   {best['planning']:6.3f}")
    for kind in KINDS:
        if best[kind]:
            print(f"    {kind:9s}{best[kind]:6.3f}")
    print(f"  rendering  {min(rendering):6.3f}")
    print(f"  total      {min(totals):6.3f}   ({best['bytes'] / 1e6:.0f} MB of feeds)")

    if args.workers:
        forked = [forked_round(fresh(), site, args.workers) for _ in range(args.repeat)]
        planning, used = min(forked, key=lambda pair: pair[0] + pair[1])
        print(f"{args.workers} forked workers: planning {planning:.3f} + workers {used:.3f}")

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        one_round(fresh(), site)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

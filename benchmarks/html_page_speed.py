#!/usr/bin/env python3
"""Cost of one HTML article page, before and after a change, side by side in one run.

    python benchmarks/html_page_speed.py SITE_DIR [--before REV] [--repeat 5]

SITE_DIR is a site with a syndicate.yaml (e.g. one made by make_corpus.py). "Before" is
the HTML channel and its templates as of git revision REV (default: the commit before
the page-speed work), loaded from `git show` into a temporary package; "after" is the
installed channel. Both render every article of the same site model with the same core;
pages are compared byte for byte first, so the two columns do the same work.

Each run starts cold, as a cold `syndicate publish` does: a new channel, and every
lru_cache in the two channel packages and in syndicate.qr/qrencode emptied (the QR
matrices, formatted dates). Templates are compiled and babel's locale data loaded on one
warm-up page outside the timing. Times are CPU seconds of this process, over --repeat
runs, before and after taking turns to go first; "best" sums each chunk of 50 pages'
fastest run, which filters the bursts of a shared machine. Compare the ratio more than
the milliseconds.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from syndicate.channel import Channel, ChannelContext, channel_settings
from syndicate.config import Config, load_config
from syndicate.model import Site
from syndicate.pipeline import load_site, make_channels
from syndicate.qr import qr_svg
from syndicate.templating import Templates

REPO = Path(__file__).resolve().parent.parent
BEFORE = "db6d49f"  # the last commit before the page-speed work
CHANNEL_DIR = "channels/html"
TEMPLATE_DIR = "templates/html"
OLD_PACKAGE = "html_channel_before"

MakeChannel = Callable[[], Channel]
CHUNK = 50  # articles timed together; each chunk keeps its best run (noise is bursty)
CACHED_MODULES = ("syndicate.qr", "syndicate.qrencode", "syndicate_channels.html", OLD_PACKAGE)


def git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True).stdout


def export(rev: str, folder: str, target: Path) -> None:
    """The files of `folder` as of `rev`, written under `target`."""
    for name in git("ls-tree", "-r", "--name-only", rev, folder).decode().split():
        path = target / Path(name).relative_to(folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(git("show", f"{rev}:{name}"))


def old_channel(rev: str, config: Config, scratch: Path) -> MakeChannel:
    """A factory for the HTML channel as of `rev`, using that revision's templates."""
    export(rev, CHANNEL_DIR, scratch / OLD_PACKAGE)
    export(rev, TEMPLATE_DIR, scratch / "templates" / "html")
    sys.path.insert(0, str(scratch))
    cls = importlib.import_module(OLD_PACKAGE).HtmlChannel
    templates = Templates(scratch / "templates")  # a site folder: wins over bundled files

    def make() -> Channel:
        context = ChannelContext(config, templates, scratch / "out", scratch / "state")
        return cls(channel_settings(cls, config), context)

    return make


def new_channel(config: Config, scratch: Path) -> MakeChannel:
    return lambda: make_channels(config, ["html"], scratch / "out")[0]


def pages(channel: Channel, site: Site) -> list[bytes]:
    return [f.content for a in site.articles for f in channel.render_article(a, site)]


def clear_caches() -> None:
    """Empty every lru_cache of the modules an article page uses, so a run starts cold."""
    for name, module in list(sys.modules.items()):
        if name.startswith(CACHED_MODULES):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def timed(make: MakeChannel, site: Site) -> list[float]:
    """CPU seconds per chunk of CHUNK articles, all but the first (the warm-up), cold."""
    clear_caches()
    gc.collect()  # not the other side's garbage
    channel = make()
    first, *rest = site.articles
    list(channel.render_article(first, site))
    times = []
    for start in range(0, len(rest), CHUNK):
        began = time.process_time()
        for article in rest[start : start + CHUNK]:
            for _ in channel.render_article(article, site):
                pass
        times.append(time.process_time() - began)
    return times


def qr_only(site: Site) -> float:
    """Seconds per page for the inline QR code alone (core code, the same both sides)."""
    clear_caches()
    start = time.process_time()
    for article in site.articles:
        qr_svg(article.url, title="Scan to read on your phone")
    return (time.process_time() - start) / len(site.articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("--before", default=BEFORE, help="git revision of the old channel")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    config = load_config(args.site_dir / "syndicate.yaml")
    site = load_site(config).site
    if len(site.articles) < 2:
        sys.exit("the site needs at least two articles")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        makers = {
            "before": old_channel(args.before, config, scratch),
            "after": new_channel(config, scratch),
        }
        clear_caches()
        before, after = (pages(make(), site) for make in makers.values())
        same = sum(old == new for old, new in zip(before, after, strict=True))
        print(f"{len(site.articles)} articles in {args.site_dir}; before = {args.before}")
        print(f"byte-identical pages: {same}/{len(site.articles)}")
        per_page = len(site.articles) - 1
        best: dict[str, list[float]] = {}
        print("run  before ms/page  after ms/page")
        for run in range(1, args.repeat + 1):
            order = list(makers) if run % 2 else list(reversed(makers))  # neither always first
            times = {name: timed(makers[name], site) for name in order}
            for name, chunks in times.items():
                best[name] = [
                    min(pair) for pair in zip(best.get(name, chunks), chunks, strict=True)
                ]
            old_ms, new_ms = (sum(times[name]) / per_page * 1e3 for name in makers)
            print(f"{run:3}  {old_ms:14.3f}  {new_ms:13.3f}")
        qr = min(qr_only(site) for _ in range(args.repeat))
    before_ms, after_ms = (sum(best[name]) / per_page * 1e3 for name in makers)
    print(f"best {before_ms:14.3f}  {after_ms:13.3f}   after/before = {after_ms / before_ms:.2f}")
    print(f"of which the inline QR SVG (syndicate.qr, unchanged): {qr * 1e3:.3f} ms/page")


if __name__ == "__main__":
    main()

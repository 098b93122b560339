#!/usr/bin/env python3
"""Cold print-channel render cost per article, before and after, side by side.

    python /work/shared/bench/make_corpus.py /tmp/p2k --articles 2000
    python3 benchmarks/print_speed.py /tmp/p2k [--repeat 5]

Builds the site model in-process, then times `PrintChannel.render_article` over every
article with an empty QR cache (a cold publish): in this process, and in two forked
workers sharing one cache as `publish` workers do. "old" is the code before this change
(a width sum per word, a character scan in `cut`, one SQLite transaction per new code),
patched in for the run; "new" is the current code. Both are checked to give the same
bytes first. Versions alternate and the best of --repeat runs counts: machines are
noisy, compare the ratios. Last, where the new code's time goes, part by part.
Writing the files is not included: time `syndicate publish --channels print` for that.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from pathlib import Path

from syndicate_channels.print import PrintChannel, snippets, text
from syndicate_channels.print.qrimages import QrArt, QrImages, QrSpec

from syndicate import qr, qrencode
from syndicate.channel import OutputFile
from syndicate.config import load_config
from syndicate.model import Article, Site
from syndicate.pipeline import load_site, make_channels

# --- the code before this change ---------------------------------------------------------


def old_estimate_width(s: str) -> float:
    return sum(map(text._char_width, s))


def old_cut(s: str, limit: int) -> str:
    s = " ".join(s.split())
    if len(s) <= limit:
        return s
    room = max(limit - len(text.ELLIPSIS), 0)
    head = s[:room]
    nxt = s[room]
    if head and nxt != " " and not text.is_cjk(nxt) and not text.is_cjk(head[-1]):
        boundary = max(head.rfind(" "), *(i + 1 for i, c in enumerate(head) if text.is_cjk(c)), 0)
        if boundary > 0:
            head = head[:boundary]
    return head.rstrip(" ,;:-—、，；：") + text.ELLIPSIS


_OLD_TOKENS = re.compile(rf"\s+|{text._CJK.pattern}|[^\s{text._CJK.pattern[1:-1]}]+")


def old_wrap(
    s: str, measure: text.Measure, width: float, max_lines: int | None = None
) -> list[str]:
    lines: list[str] = []
    line, line_width, space = "", 0.0, False
    space_width = measure(" ")
    for token in _OLD_TOKENS.findall(" ".join(s.split())):
        if token.isspace():
            space = bool(line)
            continue
        gap = " " if space else ""
        added = measure(token) + (space_width if space else 0.0)
        space = False
        if line_width + added <= width or (line and token in text._NO_LINE_START):
            line, line_width = line + gap + token, line_width + added
            continue
        if line:
            lines.append(line)
        line = text._hard_break(token, measure, width, lines)
        line_width = measure(line)
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last + text.ELLIPSIS) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip(" ,;:-—、，") + text.ELLIPSIS]
    return lines


class OldQrImages(QrImages):
    """One autocommit INSERT per new code, as before."""

    def _write(self, key: str, art: QrArt) -> None:
        conn = self._connection()
        if conn is None:
            return
        with contextlib.suppress(sqlite3.Error):
            conn.execute(
                "INSERT OR REPLACE INTO qr (key, text, modules, path, png) VALUES (?, ?, ?, ?, ?)",
                (key, art.text, art.modules, art.path, art.png),
            )


@contextlib.contextmanager
def version(name: str) -> Iterator[type[QrImages]]:
    """Run the `name` ("old" or "new") text code; gives the matching cache class."""
    if name == "new":
        yield QrImages
        return
    saved = (snippets.wrap, snippets.cut, snippets.estimate_width)
    snippets.wrap, snippets.cut, snippets.estimate_width = old_wrap, old_cut, old_estimate_width
    try:
        yield OldQrImages
    finally:
        snippets.wrap, snippets.cut, snippets.estimate_width = saved


# --- measuring ----------------------------------------------------------------------------

VERSIONS = ("old", "new")


def new_cache(images_cls: type[QrImages], spec: QrSpec) -> QrImages:
    """A new, empty QR cache, as on a cold publish."""
    return images_cls(spec, Path(tempfile.mkdtemp(prefix="print-speed-")))


def drop_cache(images: QrImages) -> None:
    assert images.cache_dir is not None
    shutil.rmtree(images.cache_dir)


def render(channel: PrintChannel, site: Site, articles: list[Article]) -> None:
    qr.qr_matrix.cache_clear()  # no code left in memory by the other version
    for article in articles:
        for _ in channel.render_article(article, site):
            pass


def one_process(channel: PrintChannel, site: Site, repeat: int, size: int = 100) -> list[float]:
    """CPU seconds of a cold render of every article in this process, old and new.

    Slices of `size` articles are run by each version in turn (each with its own cache),
    and each slice counts with its fastest of `repeat` runs: noise from other processes
    spoils one slice of one run, not a whole comparison.
    """
    slices = [site.articles[i : i + size] for i in range(0, len(site.articles), size)]
    best = [[float("inf")] * len(slices) for _ in VERSIONS]
    spec = channel.images.spec
    for _ in range(repeat):
        text.estimate_width.cache_clear()
        caches = []
        for name in VERSIONS:
            with version(name) as images_cls:
                caches.append(new_cache(images_cls, spec))
        for n, articles in enumerate(slices):
            for v, name in enumerate(VERSIONS):
                with version(name):
                    channel.images = caches[v]
                    cpu = time.process_time()
                    render(channel, site, articles)
                    if n == len(slices) - 1:
                        channel.images.flush()  # the last batch (a no-op for the old code)
                    best[v][n] = min(best[v][n], time.process_time() - cpu)
        for images in caches:
            drop_cache(images)
    return [sum(times) for times in best]


def render_one(channel: PrintChannel, site: Site, article: Article) -> list[OutputFile]:
    return list(channel.render_article(article, site))


def render_half(channel: PrintChannel, site: Site, part: int) -> None:
    render(channel, site, site.articles[part::2])
    channel.images.flush()  # (the worker's exit would do it too)


def two_workers(channel: PrintChannel, site: Site, name: str) -> tuple[float, float]:
    """(wall, CPU) seconds of two forked processes, half the articles each, sharing one
    new cache as `publish` workers do."""
    with version(name) as images_cls:
        channel.images = new_cache(images_cls, channel.images.spec)
        text.estimate_width.cache_clear()
        fork = get_context("fork")
        workers = [fork.Process(target=render_half, args=(channel, site, n)) for n in (0, 1)]
        cpu = _cpu_seconds()
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - start
        drop_cache(channel.images)
        return wall, _cpu_seconds() - cpu


def _cpu_seconds() -> float:
    """CPU time of this process and its waited-for children."""
    usages = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(u.ru_utime + u.ru_stime for u in usages)


def best_cpu(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        cpu = time.process_time()
        run()
        times.append(time.process_time() - cpu)
    return min(times)


def outputs(channel: PrintChannel, site: Site, name: str) -> list[tuple[str, bytes]]:
    with version(name) as images_cls:
        channel.images = new_cache(images_cls, channel.images.spec)
        qr.qr_matrix.cache_clear()
        files = [
            (f.path, f.content) for a in site.articles for f in channel.render_article(a, site)
        ]
        drop_cache(channel.images)
    return files


def parts(channel: PrintChannel, site: Site, repeat: int) -> None:
    """Where a cold `render_article` spends its time now, part by part (no QR cache)."""
    settings = channel.print_settings
    templates = channel.context.templates
    links = [channel.links(a, site) for a in site.articles]
    matrices = [qr.qr_matrix(link.encoded, settings.error_correction) for link in links]
    size_px = qr.png_pixels(settings.size_mm, settings.dpi)
    arts = [QrImages(channel.images.spec, None).get(link.encoded) for link in links]
    made = [
        snippets.make_snippet(a, site, link, art, settings.dek_chars)
        for a, link, art in zip(site.articles, links, arts, strict=True)
    ]
    steps: dict[str, Callable[[], object]] = {
        "QR matrix (syndicate.qrencode)": lambda: [
            qrencode.encode(link.encoded, settings.error_correction, qr.QUIET_ZONE)
            for link in links
        ],
        "QR SVG path (qr.svg_path)": lambda: [qr.svg_path(m) for m in matrices],
        "QR PNG (qr.matrix_png)": lambda: [
            qr.matrix_png(m, size_px=size_px, dpi=settings.dpi) for m in matrices
        ],
        "snippet layout (text wrap)": lambda: [
            snippets.layout(snippet, settings.size_mm) for snippet in made
        ],
        "snippet.svg template (+layout)": lambda: [
            snippets.snippet_svg(templates, snippet, settings.size_mm) for snippet in made
        ],
        "snippet.txt template": lambda: [
            snippets.snippet_text(templates, snippet) for snippet in made
        ],
        "redirect.html template": lambda: [
            templates.render(
                "print/redirect.html", title=a.title, language=a.language,
                canonical=a.url, target=link.landing_url,
            )
            for a, link in zip(site.articles, links, strict=True)
        ],
    }  # fmt: skip
    print("new code, part by part (best of runs, CPU per article):")
    for name, step in steps.items():
        best = best_cpu(step, repeat)
        print(f"  {name:32} {best * 1e6 / len(made):6.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="a site folder with syndicate.yaml")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = load_config(args.site / "syndicate.yaml")
    site = load_site(config).site
    (channel,) = make_channels(config, ["print"], Path(tempfile.mkdtemp()) / "public")
    assert isinstance(channel, PrintChannel)
    channel.codes(site)  # once per site, in the parent, before any fork
    count = len(site.articles)

    new = outputs(channel, site, "new")
    assert outputs(channel, site, "old") == new, "old and new code disagree"
    print(f"{count} articles, {len(new)} files: old and new output identical")

    old_cpu, new_cpu = one_process(channel, site, args.repeat)
    print(f"cold render_article, per article (best of {args.repeat}):")
    print(
        f"  1 process, CPU   {old_cpu * 1e6 / count:6.0f} -> {new_cpu * 1e6 / count:6.0f} µs"
        f" ({old_cpu / new_cpu:.2f}x)"
    )
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in VERSIONS}
    for _ in range(args.repeat):
        for name in VERSIONS:
            runs[name].append(two_workers(channel, site, name))
    (old_wall, new_wall), (old_cpu, new_cpu) = (
        [min(run[i] for run in runs[name]) for name in VERSIONS] for i in (0, 1)
    )
    print(
        f"  2 workers, wall  {old_wall * 1e6 / count:6.0f} -> {new_wall * 1e6 / count:6.0f} µs"
        f" ({old_wall / new_wall:.2f}x)   CPU (both) {old_cpu * 1e6 / count:6.0f} -> "
        f"{new_cpu * 1e6 / count:6.0f} µs ({old_cpu / new_cpu:.2f}x)"
    )
    parts(channel, site, args.repeat)


if __name__ == "__main__":
    main()

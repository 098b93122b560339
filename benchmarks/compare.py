#!/usr/bin/env python3
"""Side-by-side publish benchmark: syndicate vs Hugo vs Pelican on the same articles.

    python3 benchmarks/compare.py --articles 10000 [--workdir /tmp/syndicate-bench]

Writes the corpus with ../shared/bench/make_corpus.py in each tool's format, installs
Hugo (Debian package) and Pelican (in a private venv) when missing, then times, in one run:
cold build, rebuild with nothing changed, and rebuild after editing one article. Peak
memory is the largest summed PSS (proportional set size) of the tool's whole process
tree (syndicate renders in forked workers that share pages with their parent). Prints
one table with ratios to Hugo; a tool that cannot be installed is skipped with a message.
Machines are noisy: compare ratios, not seconds; `--rounds N` repeats the whole sequence
(tools interleaved) and reports medians. The html+feeds corpus also gets a no-op and an
edit through a resident publisher (`publish --resident`), compared with Hugo's CLI runs,
its memory added to theirs (`--no-resident` skips them).

A corpus (with the output and caches built from it) is not deleted before the next one
is written: it is moved into `WORKDIR/.trash`, emptied after the last timed run. On an
ext4 file system without a journal (this project's VM) the kernel avoids reusing inodes
freed in the last minute, and checks every such inode for each file it creates: a build
right after deleting 70,000 files spent 9.7 s instead of 3.2 s in the kernel. That cost
belongs to the benchmark's clean-up, not to the tool measured next.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRASH = ".trash"
RECENTLY_FREED_S = 65  # ext4 (no journal) treats inodes freed this recently as in use
# What a build leaves in its site folder: set aside before a cold build.
SYNDICATE_BUILD = ("public", ".syndicate")
HUGO_BUILD = ("public", "resources", ".hugo_build.lock")
PELICAN_BUILD = ("output", "cache", "__pycache__")
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"

# `--channels hugo-like`: syndicate doing about the work of make_corpus.py's Hugo site
# (its three minimal layouts, one RSS feed per section and the home page, 50 items, no
# taxonomy pages, no QR codes), to tell richer pages apart from a slower engine. Still
# more than Hugo does: every page of each list (Hugo's shows its first 50), tag pages,
# sitemaps, and the page metadata syndicate's Python works out whether shown or not.
HUGO_LIKE_CONFIG = """
channels:
  html: {qr_code: false, per_page: 50}
  feeds: {formats: [rss], limit: 50, tags: false, archive: false, stylesheet: false}
"""
HUGO_LIKE_TEMPLATES = {
    "base.html": '<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{{ head.title }}</title></head><body>{% block main %}{% endblock %}</body></html>",
    "article.html": '{% extends "html/base.html" %}{% block main %}{{ breadcrumb_nav }}'
    "<h1>{{ article.title }}</h1><time>{{ published }}</time>{{ body }}{% endblock %}",
    "list.html": '{% extends "html/base.html" %}{% block main %}<h1>{{ heading }}</h1><ul>'
    '{% for t in items %}<li><a href="{{ links.to(t.path) }}">{{ t.title }}</a></li>'
    "{% endfor %}</ul>{% endblock %}",
}


@dataclass
class Run:
    tool: str
    scenario: str
    seconds: float
    peak_mb: float
    user: float = 0.0  # CPU seconds of the whole process tree, in user space...
    system: float = 0.0  # ...and in the kernel (file creation, page faults)
    note: str = ""


def _pss(pid: int) -> int:
    """Proportional set size in bytes: shared pages split among the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(root: int) -> int:
    """Summed PSS of a process and all its descendants.

    PSS, not RSS: syndicate's forked workers share the parent's pages copy-on-write, and
    summing RSS would count those pages once per process.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _pss(pid)
        stack.extend(children.get(pid, []))
    return total


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, user CPU s, system CPU s) of one run, not watched by anything.

    CPU comes from the kernel's accounting of waited-for children (workers included):
    user time is the tool's own work; system time is mostly creating files, which on a
    VM varies several-fold from one minute to the next. Raises if the command fails.
    """
    # Flush what earlier steps wrote or deleted (a corpus, another tool's output): on a
    # small VM disk, that writeback would otherwise land in whichever run comes next.
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    _check(cmd, proc.returncode, proc.stderr)
    return seconds, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def peak_memory(cmd: list[str], cwd: Path) -> float:
    """Peak MB of the process tree, sampled every 20 ms, in a run of its own.

    Not the timed run: reading every process's smaps_rollup 50 times a second costs CPU
    and holds each process's memory-map lock, and slowed a 12 s build to 15-20 s.
    """
    os.sync()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_memory(proc.pid))
        time.sleep(0.02)
    _check(cmd, proc.returncode, proc.stderr.read() if proc.stderr else b"")
    return peak / 1e6


def _check(cmd: list[str], returncode: int, stderr: bytes) -> None:
    if returncode:
        message = stderr.decode(errors="replace")[-800:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({returncode}): {message}")


def scenario(
    tool: str,
    name: str,
    cmd: list[str],
    cwd: Path,
    *,
    again: Callable[[], object] = lambda: None,
    rewritten_in: Path | None = None,
) -> Run:
    """Time one run; `again()` then sets up the same scenario for the memory run."""
    before = mtimes(rewritten_in) if rewritten_in else {}
    seconds, user, system = timed(cmd, cwd)
    note = ""
    if rewritten_in:
        changed = sum(1 for p, m in mtimes(rewritten_in).items() if before.get(p) != m)
        note = f"{changed} files rewritten"
    again()
    return Run(tool, name, seconds, peak_memory(cmd, cwd), user, system, note)


def set_aside(workdir: Path, paths: list[Path]) -> None:
    """Move files or folders into the workdir's trash, emptied after the timed runs: a
    previous corpus, or a build's output and caches before a cold build."""
    trash = workdir / TRASH
    trash.mkdir(exist_ok=True)
    for path in paths:
        if path.exists():
            path.rename(trash / f"{path.parent.name}-{path.name.strip('.')}-{time.time_ns()}")


def output_size(folder: Path) -> str:
    """What a build wrote: the tools' outputs differ a lot (full-text feeds, QR codes)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return f"output {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB"


def make_corpus(workdir: Path, fmt: str, articles: int) -> Path:
    target = workdir / fmt
    set_aside(workdir, [target])  # the previous corpus, with what was built from it
    subprocess.run(
        [
            sys.executable,
            str(MAKE_CORPUS),
            str(target),
            "--articles",
            str(articles),
            "--format",
            fmt,
        ],
        check=True,
    )
    return target


def empty_trash(workdir: Path) -> bool:
    trash = workdir / TRASH
    if not trash.exists():
        return False
    shutil.rmtree(trash)
    return True


def ensure_hugo() -> str | None:
    if shutil.which("hugo"):
        return shutil.which("hugo")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "hugo"], check=False, stdout=subprocess.DEVNULL
        )
    return shutil.which("hugo")


def ensure_pelican(workdir: Path) -> str | None:
    venv = workdir / "pelican-venv"
    pelican = venv / "bin" / "pelican"
    if not pelican.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=False)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "pelican>=4.12", "markdown"], check=False
        )
    return str(pelican) if pelican.exists() else None


def edit_one(content: Path) -> Path:
    """Append a sentence to one article's body (the same article in every format)."""
    found = sorted(content.rglob("story-000500.md")) or sorted(content.rglob("story-*.md"))
    target = found[0]
    with target.open("a", encoding="utf-8") as handle:
        handle.write("\nAn editor added this sentence after publication.\n")
    return target


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def bench_tool(workdir: Path, articles: int, label: str, fmt: str, cmd: list[str],
               output: str, build: tuple[str, ...],
               prepare: Callable[[Path], None] = lambda site: None,
               more: Callable[[Path], list[Run]] = lambda site: []) -> list[Run]:  # fmt: skip
    """Cold build, no-op rebuild and rebuild after one edit, in the tool's own corpus
    (`prepare` adjusts the site folder first; `more` adds scenarios at the end)."""
    site = make_corpus(workdir, fmt, articles)
    prepare(site)
    out = site / output
    cold_again = partial(set_aside, workdir, [site / name for name in build])
    cold = scenario(label, "cold", cmd, site, again=cold_again)
    cold.note = output_size(out)
    runs = [cold, scenario(label, "no-op", cmd, site, rewritten_in=out)]
    edit = partial(edit_one, site / "content")
    edit()
    runs.append(scenario(label, "one edit", cmd, site, again=edit, rewritten_in=out))
    return runs + more(site)


def resident_runs(label: str, cmd: list[str], site: Path) -> list[Run]:
    """No-op and one edit with `publish --resident`: the site kept in memory by a
    resident publisher between publishes. Started (and its warm-up waited for) before the
    timed runs; its memory after them is added to each run's peak, since it is part of
    the cost; stopped at the end."""
    from syndicate.engine.daemon import serving

    kept, out = [*cmd, "--resident"], site / "public"
    timed(kept, site)  # starts it; a publish with nothing to do goes through the site after
    timed(kept, site)  # waits for that
    time.sleep(3)  # its idle work: the cache saved, the next edit's lookups
    found = serving(site / "syndicate.yaml")
    assert found is not None, "no resident publisher runs"
    pid = found[0]
    runs = [scenario(label, "no-op, resident", kept, site, rewritten_in=out)]
    edit = partial(edit_one, site / "content")
    edit()
    runs.append(scenario(label, "one edit, resident", kept, site, again=edit, rewritten_in=out))
    kept_mb = _pss(pid) / 1e6
    for run in runs:
        run.peak_mb += kept_mb
        run.note += f"; resident publisher {kept_mb:.0f} MB"
    os.kill(pid, signal.SIGTERM)
    while os.path.exists(f"/proc/{pid}"):
        time.sleep(0.1)
    return runs


def bench_syndicate(workdir: Path, articles: int, channels: str, label: str,
                    prepare: Callable[[Path], None] = lambda site: None,
                    resident: bool = False) -> list[Run]:  # fmt: skip
    cmd = [sys.executable, "-m", "syndicate", "-q", "publish"]
    if channels != "all":
        cmd += ["--channels", channels]
    more = partial(resident_runs, label, cmd) if resident else lambda site: []
    return bench_tool(
        workdir, articles, label, "syndicate", cmd, "public", SYNDICATE_BUILD, prepare, more
    )


def hugo_like(site: Path) -> None:
    """Make a syndicate corpus publish about what the Hugo corpus does (HUGO_LIKE_*)."""
    with (site / "syndicate.yaml").open("a", encoding="utf-8") as config:
        config.write(HUGO_LIKE_CONFIG)
    folder = site / "templates" / "html"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in HUGO_LIKE_TEMPLATES.items():
        (folder / name).write_text(text, encoding="utf-8")


def bench_hugo(workdir: Path, articles: int) -> list[Run]:
    hugo = ensure_hugo()
    if not hugo:
        print("skipping Hugo: not installed and cannot install it", file=sys.stderr)
        return []
    cmd = [hugo, "--quiet", "--cleanDestinationDir", "-d", "public"]
    return bench_tool(workdir, articles, "hugo", "hugo", cmd, "public", HUGO_BUILD)


def bench_pelican(workdir: Path, articles: int) -> list[Run]:
    pelican = ensure_pelican(workdir)
    if not pelican:
        print("skipping Pelican: cannot install it", file=sys.stderr)
        return []
    cmd = [pelican, "content", "-s", "pelicanconf.py", "-o", "output", "-q"]
    return bench_tool(workdir, articles, "pelican", "pelican", cmd, "output", PELICAN_BUILD)


def table(runs: list[Run]) -> str:
    hugo = {r.scenario: r for r in runs if r.tool == "hugo"}
    lines = [
        f"{'tool':28} {'scenario':18} {'wall s':>8} {'user s':>7} {'sys s':>7} {'peak MB':>8} "
        f"{'time/hugo':>9} {'mem/hugo':>8}  note",
    ]
    for r in runs:
        ref = hugo.get(r.scenario.split(",")[0])  # a resident's runs: against Hugo's CLI
        ratio = f"{r.seconds / ref.seconds:9.2f}" if ref else f"{'-':>9}"
        mem = f"{r.peak_mb / ref.peak_mb:8.2f}" if ref else f"{'-':>8}"
        lines.append(
            f"{r.tool:28} {r.scenario:18} {r.seconds:8.2f} {r.user:7.2f} {r.system:7.2f} "
            f"{r.peak_mb:8.0f} {ratio} {mem}  {r.note}"
        )
    return "\n".join(lines)


def median_runs(rounds: list[list[Run]]) -> list[Run]:
    """Per tool and scenario, the run with the median time (its memory and note kept).

    With an even number of rounds this is the lower middle one (the faster of two).
    """
    grouped: dict[tuple[str, str], list[Run]] = {}
    for runs in rounds:
        for r in runs:
            grouped.setdefault((r.tool, r.scenario), []).append(r)
    picked = []
    for group in grouped.values():
        ordered = sorted(group, key=lambda r: r.seconds)
        median = ordered[(len(ordered) - 1) // 2]
        if len(group) > 1:
            spread = ", ".join(f"{r.seconds:.1f}" for r in group)
            median = Run(median.tool, median.scenario, median.seconds, median.peak_mb,
                         median.user, median.system,
                         f"{median.note}{'; ' if median.note else ''}runs: {spread} s")  # fmt: skip
        picked.append(median)
    return picked


def one_round(args: argparse.Namespace, tools: list[str]) -> list[Run]:
    runs: list[Run] = []
    if "hugo" in tools:
        runs += bench_hugo(args.workdir, args.articles)
    if "syndicate" in tools:
        if "html+feeds" in args.channels:
            runs += bench_syndicate(
                args.workdir, args.articles, "html,feeds", "syndicate (html+feeds)",
                resident=not args.no_resident,
            )  # fmt: skip
        if "hugo-like" in args.channels.split(","):
            runs += bench_syndicate(
                args.workdir, args.articles, "html,feeds", "syndicate (Hugo's pages)", hugo_like
            )
        if "all" in args.channels.split(","):
            runs += bench_syndicate(args.workdir, args.articles, "all", "syndicate (all channels)")
    if "pelican" in tools:
        runs += bench_pelican(args.workdir, args.articles)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/syndicate-bench"))
    parser.add_argument("--tools", default="hugo,syndicate,pelican")
    parser.add_argument(
        "--channels",
        default="html+feeds,hugo-like,all",
        help="syndicate runs: html+feeds, hugo-like (html+feeds doing Hugo's page work), all",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat everything, report each median (noise)"
    )
    parser.add_argument(
        "--no-resident",
        action="store_true",
        help="skip the html+feeds runs through a resident publisher (publish --resident)",
    )
    args = parser.parse_args()
    if not MAKE_CORPUS.exists():
        sys.exit(f"{MAKE_CORPUS} not found: the benchmark needs ../shared beside the repo")
    args.workdir.mkdir(parents=True, exist_ok=True)
    if empty_trash(args.workdir):  # left by an interrupted run
        print(f"emptied {args.workdir / TRASH}; waiting {RECENTLY_FREED_S} s", file=sys.stderr)
        time.sleep(RECENTLY_FREED_S)
    tools = args.tools.split(",")
    rounds = [one_round(args, tools) for _ in range(max(1, args.rounds))]
    empty_trash(args.workdir)
    print(f"\n{args.articles} articles, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(table(median_runs(rounds)))


if __name__ == "__main__":
    main()

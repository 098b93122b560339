#!/usr/bin/env python3
"""CPU a cold build spends reading each article, stage by stage.

    python3 benchmarks/read_speed.py CORPUS [--articles 3000] [--rounds 5]

CORPUS is a site folder (with content/) or a content folder, e.g. one written by
`make_corpus.py /tmp/corpus --articles 10000`. In one process with the garbage collector
off, it reads the same articles `--rounds` times, each article the way
`syndicate.engine.cache._read_and_render` does, with a CPU clock (time.process_time_ns:
user + system of this process) read between the stages, and prints the best round's
microseconds per article:

    file read     open/read/close, UTF-8 decoding, forbidden-character check
    front matter  digest, splitting off the YAML, PyYAML's C loader (`yamlio.load`)
    validation    the values -> `fields.Matter` (pydantic)
    markdown      cmark-gfm -> HTML, heading anchors
    sanitise      nh3, for the bodies that need it
    rest          first paragraph, word count, body sizes
    total         `_read_and_render` itself, timed in rounds of its own

The stages are timed inside the real sequence, not each in a loop of its own: alone, a
stage runs with its code and data in the CPU caches and seems up to twice as fast as it
is between cmark and nh3. The total includes building and packing the records (in no
stage) but no clock reads, whose cost is measured and taken off the stages. Machines
are noisy: compare runs made together.

On the 10,000-article bench corpus (2-core VM, 3,000 articles, best of 4-8 rounds),
`_read_and_render` took 670-850 µs an article before issue #8's read work and 430-560 µs
after: 1.3-1.6x less CPU, depending on how loaded the machine was.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from syndicate import markdown, reader, yamlio
from syndicate.engine.cache import _read_and_render
from syndicate.fields import read_matter

MAX_BYTES = 1 << 22
STAGES = ("file read", "front matter", "validation", "markdown", "sanitise", "rest")
Job = tuple[Path, Path, str, int]  # what _read_and_render takes


def _articles(corpus: Path, limit: int) -> list[Job]:
    content = corpus / "content" if (corpus / "content").is_dir() else corpus
    jobs = []
    for full, key in reader.walk_content(str(content)):
        if not key.endswith(reader.INDEX_NAME):
            rel = Path(key)
            jobs.append((Path(full), rel, rel.parent.as_posix().strip("."), MAX_BYTES))
    return jobs[:limit]


def _best(function: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    """Best CPU time of `function` over `items`, in microseconds an item."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for item in items:
            function(item)
        best = min(best, time.process_time() - start)
    return best / len(items) * 1e6


def _clock_cost() -> float:
    """CPU µs one `time.process_time_ns()` call takes (a system call on some machines)."""
    clock = time.process_time_ns
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(10_000):
            clock()
        best = min(best, (time.process_time() - start) / 10_000 * 1e6)
    return best


def _read_staged(job: Job, spent: list[int]) -> None:
    """`_read_and_render(job)` for an article, adding each stage's CPU ns to `spent`."""
    clock = time.process_time_ns
    start = clock()
    read = reader._read_text(job[0], job[1], job[3], [], allow_empty=False)
    assert read is not None, job[0]
    text, encoded = read
    after_read = clock()
    hashlib.blake2b(encoded, digest_size=16).hexdigest()
    split = reader.split_front_matter(text)
    assert split is not None, job[0]
    matter_text, body, _ = split
    data = yamlio.load(matter_text)
    after_yaml = clock()
    read_matter(data)
    after_validation = clock()
    html, _headings = markdown._anchor_headings(markdown._markdown_html(body))
    after_markdown = clock()
    if "<" in body or markdown._has_unsafe_url(html):
        html = markdown.sanitize_html(html)
    after_sanitise = clock()
    data_html = html.encode("utf-8")
    len(data_html.translate(None, markdown._NOT_MARKUP))
    data_html.count(b' href="') + data_html.count(b' src="')
    markdown._first_paragraph(html)
    markdown._count_html_words(data_html)
    end = clock()
    marks = (start, after_read, after_yaml, after_validation, after_markdown, after_sanitise, end)
    for index in range(len(STAGES)):
        spent[index] += marks[index + 1] - marks[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    jobs = _articles(args.corpus, args.articles)
    if not jobs:
        raise SystemExit(f"no articles below {args.corpus}")

    gc.disable()
    best = [float("inf")] * len(STAGES)
    best_sum = float("inf")
    for _ in range(args.rounds):
        spent = [0] * len(STAGES)
        for job in jobs:
            _read_staged(job, spent)
        if sum(spent) < best_sum:
            best, best_sum = [ns / 1000 / len(jobs) for ns in spent], sum(spent)
    total = _best(_read_and_render, jobs, args.rounds)
    clock = _clock_cost()
    best = [micros - clock for micros in best]  # each stage paid for one clock read
    gc.enable()

    print(f"{len(jobs)} articles from {args.corpus}, best of {args.rounds} rounds, "
          "CPU µs per article")  # fmt: skip
    for name, micros in zip(STAGES, best, strict=True):
        print(f"  {name:<13} {micros:8.1f}  {micros / total:6.1%}")
    print(f"  {'(stages)':<13} {sum(best):8.1f}  {sum(best) / total:6.1%}")
    print(f"  {'total':<13} {total:8.1f}  (_read_and_render)")
    print(f"  (each stage less {clock:.1f} µs, the cost of reading the clock)")


if __name__ == "__main__":
    main()

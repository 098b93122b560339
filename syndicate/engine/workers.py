"""Worker processes: forked from the publishing process, sharing its memory copy-on-write."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import TypeVar

from ..markdown import RenderedBody, render_body

T = TypeVar("T")
R = TypeVar("R")
PARALLEL_THRESHOLD = 200  # below this, starting worker processes costs more than it saves


def worker_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def parallel_map(function: Callable[[T], R], items: list[T]) -> Iterator[R]:
    """map() in forked worker processes when the list is long enough to pay for them.

    Results come in order as soon as they are ready, so the caller's handling of them
    overlaps the workers' remaining work.
    """
    workers = worker_count()
    if len(items) < PARALLEL_THRESHOLD or workers == 1:
        yield from map(function, items)
        return
    chunk = max(16, len(items) // (workers * 16))
    with fork_pool(workers) as pool:
        yield from pool.map(function, items, chunksize=chunk)


@contextmanager
def fork_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes forked from this one, sharing its memory copy-on-write.

    The heap is frozen before the fork so the workers' garbage collector never walks
    (and so copies) the parent's pages; thawed after, so a long `serve` collects as usual.
    """
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        gc.freeze()
        try:
            yield pool
        finally:
            gc.unfreeze()


def render_many(bodies: list[str]) -> list[RenderedBody]:
    return list(parallel_map(render_body, bodies))

"""Splitting a newest-first list into numbered pages (page 1 is the section's index)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Page(Generic[T_co]):
    number: int  # 1-based
    count: int  # number of pages (at least 1, even for an empty list)
    items: Sequence[T_co]
    path: str  # output path of this page
    newer: str | None  # output path of the previous (newer) page
    older: str | None  # output path of the next (older) page


def paginate(items: Sequence[T], per_page: int, path_of: Callable[[int], str]) -> list[Page[T]]:
    """Pages of `per_page` items; an empty list still gets one (empty) page."""
    count = max(1, -(-len(items) // per_page))
    pages = []
    for number in range(1, count + 1):
        chunk = items[(number - 1) * per_page : number * per_page]
        newer = path_of(number - 1) if number > 1 else None
        older = path_of(number + 1) if number < count else None
        pages.append(Page(number, count, chunk, path_of(number), newer, older))
    return pages

"""A resident publisher's last walk of each folder, kept up to date from a watcher.

Every publish stats every file it reads twice over (the inputs' stamps, then the
reader's): ~0.1 s at 10,000 articles and ~1 s at 100,000, whatever the edit. A
long-running publisher is told which paths changed (`syndicate watch` gets them from the
operating system), so it stats those again and keeps the rest of its last walk: the
same entries, in the same order, as walking again would give. A path the last walk did
not list that now exists (a new file or folder), or a folder that held listed files and
is gone, means walking again: only a walk puts those in order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable
from typing import Any

Entry = tuple[Any, ...]  # (full path, what the walk recorded of the file...)
Restat = Callable[[Entry], Entry | None]  # the entry as the file is now; None: gone


class Walks:
    """The last result of each named walk, and the paths changed since (None: unknown)."""

    def __init__(self) -> None:
        self._walks: dict[str, tuple[tuple[str, str], list[Entry], dict[str, int]]] = {}
        self._changed: dict[str, set[str] | None] = {}  # by walk: changed since it was taken

    def note(self, changed: Iterable[str] | None) -> None:
        """Paths that changed since the last publish; None: not known (walk again).

        A walk is brought up to date only if every publish since it was taken noted
        its changes: one taken without a note (any other caller) is walked again.
        """
        paths = None if changed is None else {os.path.abspath(path) for path in changed}
        for name in self._walks:
            known = self._changed.get(name, set())
            if known is not None:  # once not known since that walk, it stays so
                self._changed[name] = None if paths is None else known | paths

    def settled(self) -> None:
        """Nothing changed since the walks were last brought up to date (a look at every
        file found the stamps of the publish that last walked): changes noted as not
        known since are none, so the next publish stats only what it is told changed."""
        for name, known in self._changed.items():
            if known is None:
                self._changed[name] = set()

    def walk(
        self, name: str, folder: str, walk: Callable[[], Iterable[Entry]], restat: Restat
    ) -> list[Entry]:
        """`walk()`'s entries of `folder` (`name` tells walks of one folder apart): the
        last walk with the changed paths stat'ed again when that gives what a walk
        would, else a new walk."""
        last = self._walks.get(name)
        changed = self._changed.pop(name, None)
        if last is not None and changed is not None and _patch(last, changed, restat):
            return list(last[1])
        entries = list(walk())
        # The watcher may name a file by its real path when the folder is reached through
        # a symbolic link: both prefixes lead to the walk's own names.
        prefixes = (folder.rstrip(os.sep) + os.sep, os.path.realpath(folder) + os.sep)
        self._walks[name] = (prefixes, entries, {e[0]: n for n, e in enumerate(entries)})
        return list(entries)

    def knew(self, path: str) -> bool:
        """Whether the last walks listed `path` (or files in it, a folder)."""
        given = os.path.abspath(path)
        for (prefix, real), _, index in self._walks.values():
            named = given
            if not named.startswith(prefix) and named.startswith(real):
                named = prefix + named[len(real) :]  # named by its real path
            if named in index or any(name.startswith(named + os.sep) for name in index):
                return True
        return False

    def forget(self) -> None:
        self._walks.clear()
        self._changed.clear()


def _patch(
    last: tuple[tuple[str, str], list[Entry], dict[str, int]],
    changed: Collection[str],
    restat: Restat,
) -> bool:
    """Bring the last walk up to date in place; False if only a new walk can."""
    (prefix, real), entries, index = last
    for path in changed:
        if not path.startswith(prefix) and path.startswith(real):
            path = prefix + path[len(real) :]  # named by its real path
        if not path.startswith(prefix):
            continue  # another folder's
        at = index.get(path)
        if at is not None:
            now = restat(entries[at])
            if now is None:
                return False  # removed
            entries[at] = now
        elif os.path.lexists(path):
            return False  # new, or a folder: the walk may list something in it
        elif any(name.startswith(path + os.sep) for name in index):
            return False  # a folder the walk listed files of is gone
    return True

"""A worker's store calls run off the event loop, and its outcomes land in batches.

A worker used to make one database transaction per delivery inside the asyncio loop:
while it waited, no request moved (SQLite 605/s, PostgreSQL 478/s for one worker, against
~1,160/s for bare httpx to the same receiver). Now outcomes wait in a batch that one call
lands in one transaction, each row still fenced by its lease token (a worker whose lease
lapsed is logged as `stale` and changes nothing, while the rest of its batch lands), and
the calls of a store that waits on a server run on a thread of the worker's own.

A batch is flushed when `size` outcomes wait, `delay` seconds after the first of them,
before the worker claims more (a later version of an article waits for the earlier one's
outcome, and claims must see it), before it asks what is due next, and at shutdown. The
window this opens: a worker killed (or cut off from its store) before a flush loses the
record of at most `size` outcomes, or `delay` seconds' worth, that the partner already
has. Those rows are still leased to the dead worker, come back when its lease is released
(at once: its process or its database connection is gone) or lapses, and are sent again
with the same webhook-id. Nothing is lost; the partner may see those few twice.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from syndicate.delivery.outbox import Delivery, Result

T = TypeVar("T")
Outcome = tuple[Delivery, Result]

# Flushed at this many outcomes or this long after the first: small enough that a kill -9
# re-sends only a handful, large enough that one transaction carries many deliveries.
BATCH_SIZE = 64
BATCH_DELAY = 0.005


class StoreThread:
    """Where a worker's store calls run: one thread of their own, one call at a time.

    One thread, not a pool: a PostgreSQL session is one connection, and a SQLite
    connection must never be used by two threads at once. psycopg releases the GIL while
    it waits on the server, so the loop keeps sending meanwhile.

    `inline` (an embedded store, `Outbox.remote` false): calls run on the loop itself.
    A batch of SQLite outcomes or a claim takes ~0.1 ms there, less than handing it to a
    thread and back costs the loop (measured: 1.1 ms of CPU per delivery inline against
    1.4 ms through a thread, GIL hand-offs included), and SQLite keeps the one thread it
    was opened on.
    """

    def __init__(self, *, inline: bool = False) -> None:
        self._executor = (
            None
            if inline
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="syndicate-store")
        )

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            return fn(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)


class OutcomeBatch:
    """Outcomes waiting to be recorded, flushed by size, by time, or on demand."""

    def __init__(
        self,
        store: StoreThread,
        land: Callable[[Sequence[Outcome]], list[bool]],
        *,
        on_stale: Callable[[Delivery], None],
        size: int = BATCH_SIZE,
        delay: float = BATCH_DELAY,
    ) -> None:
        self._store = store
        self._land = land  # Outbox.report_many with the worker's name bound
        self._on_stale = on_stale
        self.size = size
        self.delay = delay
        self._pending: list[Outcome] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self.error: BaseException | None = None  # a background flush failed: raise it

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, delivery: Delivery, result: Result) -> None:
        self._pending.append((delivery, result))
        if len(self._pending) >= self.size:
            self._kick()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._kick)

    def check(self) -> None:
        """Raise what a background flush ran into (the store stayed unreachable)."""
        if self.error is not None:
            raise self.error

    def _kick(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._background())

    async def _background(self) -> None:
        try:
            await self.flush()
        except Exception as exc:  # the worker's loop raises it (`check`)
            self.error = exc

    async def flush(self) -> None:
        """Record everything added so far (including what arrives while this runs)."""
        async with self._lock:
            self.check()
            while self._pending:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                batch, self._pending = self._pending, []
                landed = await self._store.call(self._land, batch)
                for (delivery, _), current in zip(batch, landed, strict=True):
                    if not current:
                        self._on_stale(delivery)

    async def close(self) -> None:
        """The last flush; a background one still running is waited for."""
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        try:
            await self.flush()
        finally:
            if self._timer is not None:  # nothing may wake up after the worker stopped
                self._timer.cancel()
                self._timer = None

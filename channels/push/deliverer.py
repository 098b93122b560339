"""Sends due deliveries over each partner's own connections and records each outcome.

At-least-once: a delivery is leased before it is sent and marked delivered only after a
2xx. A worker killed at any point leaves rows that are either delivered or still pending
(their lease expires, or is dropped at once when the next worker sees the owner is gone),
so a rerun finishes them; the stable webhook-id lets partners drop the rare duplicate.

Outcomes land in batches, and a database server is never waited on inside the event
loop (see `outcomes`: a kill -9 re-sends at most one batch's worth, a few milliseconds
of deliveries).
"""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpcore
import httpx

from syndicate import __version__
from syndicate.delivery.outbox import Delivery, Outbox, Result
from syndicate.delivery.workers import owner_gone, owner_id
from syndicate.errors import ConfigError
from syndicate.netguard import refused_by_guard

from .outcomes import BATCH_DELAY, BATCH_SIZE, OutcomeBatch, StoreThread
from .retry import Outcome, excerpt, for_status, parse_retry_after, retry_delay
from .settings import Partner, PushSettings, redact_url
from .signing import Signer
from .transport import Endpoint

Mode = Literal["once", "drain", "follow"]
USER_AGENT = f"syndicate/{__version__} (partner push)"
WINDOW = 3  # deliveries claimed per partner, in multiples of its concurrency
SWEEP_EVERY = 1.0  # seconds between closing idle connections gone stale
HTTP_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol)


@dataclass
class RunReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    by_partner: Counter[str] = field(default_factory=Counter)
    broken: dict[str, str] = field(default_factory=dict)  # partner -> why it was skipped


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Verification always on; an extra CA file is added to the usual roots (httpx's:
    certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set)."""
    context = httpx.create_ssl_context()
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context


class Deliverer:
    def __init__(
        self,
        settings: PushSettings,
        outbox: Outbox,
        *,
        partners: Sequence[str] | None = None,
        ca_bundle: Path | None = None,
        on_event: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        chosen = settings.partners
        if partners:
            chosen = [p for p in settings.partners if p.name in partners]
        self.on_event = on_event or (lambda message: None)
        self.report = RunReport()
        # Secrets and URLs are resolved up front, partner by partner: one partner's unset
        # variable or bad secret leaves its deliveries pending and the others are served.
        self.partners: list[Partner] = []
        self.signers: dict[str, Signer] = {}
        self.urls: dict[str, str] = {}
        for partner in chosen:
            try:
                self.urls[partner.name] = url = partner.endpoint_url()
                try:
                    httpx.URL(url)  # as the transport will parse it
                except httpx.InvalidURL as exc:
                    raise ConfigError(f"partner {partner.name!r}: url: {exc}") from None
                self.signers[partner.name] = Signer(partner.auth)
            except ConfigError as exc:
                self.report.broken[partner.name] = str(exc)
                self.on_event(f"{partner.name}: skipped, deliveries stay pending: {exc}")
                continue
            self.partners.append(partner)
        self.ca_bundle = ca_bundle
        self.clock = clock
        self.rng = rng or random.Random()
        self.owner = owner_id()
        self._endpoints: dict[str, Endpoint] = {}
        self._next_sweep = 0.0
        self._next_release_check = 0.0
        self.batch_size = BATCH_SIZE  # outcomes per transaction, at most
        self.batch_delay = BATCH_DELAY  # seconds an outcome may wait for its batch
        self._store = StoreThread(inline=True)  # replaced by `run`
        self._outcomes: OutcomeBatch | None = None

    async def run(
        self,
        mode: Mode = "once",
        stop: asyncio.Event | None = None,
        force: asyncio.Event | None = None,
    ) -> RunReport:
        """Deliver what is due (`once`), until nothing is pending (`drain`), or until `stop`."""
        stop = stop or asyncio.Event()
        force = force or asyncio.Event()
        self.outbox.register(self.owner)
        self.outbox.release_owners(owner_gone)
        verify = ssl_context(self.ca_bundle)
        # Partners with `allow_private_network: true` connect without the address guard;
        # the allowance is per partner, not per host name or address.
        self._endpoints = {
            p.name: Endpoint(
                self.urls[p.name],
                ssl_context=verify,
                guarded=not p.allow_private_network,
                timeout=p.timeout,
                user_agent=USER_AGENT,
            )
            for p in self.partners
        }
        self._store = StoreThread(inline=not self.outbox.remote)
        self._outcomes = OutcomeBatch(
            self._store,
            functools.partial(
                self.outbox.report_many,
                worker=self.owner,
                disable_after=self.settings.disable_after,
            ),
            on_stale=self._lease_lost,
            size=self.batch_size,
            delay=self.batch_delay,
        )
        try:
            await self._loop(mode, stop, force)
        finally:
            try:
                for endpoint in self._endpoints.values():
                    await endpoint.aclose()
            finally:
                self._store.close()
        return self.report

    @property
    def outcomes(self) -> OutcomeBatch:
        assert self._outcomes is not None, "only while running"
        return self._outcomes

    async def _loop(self, mode: Mode, stop: asyncio.Event, force: asyncio.Event) -> None:
        total = asyncio.Semaphore(self.settings.concurrency)
        per_partner = {p.name: asyncio.Semaphore(p.concurrency) for p in self.partners}
        tasks: dict[asyncio.Future[Any], Delivery] = {}
        started: set[int] = set()
        inflight: Counter[str] = Counter()
        check_at = {p.name: 0.0 for p in self.partners}
        names = [p.name for p in self.partners]
        stop_wait: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                self.outcomes.check()
                await self._sweep()
                for partner in self.partners:
                    # Claims come in batches too, and ahead: a window of three times the
                    # partner's concurrency, refilled once a third of it is free, so
                    # requests keep flowing from the queued third while a claim runs.
                    room = partner.concurrency * WINDOW - inflight[partner.name]
                    if room < partner.concurrency or check_at[partner.name] > self.clock():
                        continue
                    await self.outcomes.flush()  # claims must see every outcome so far
                    now = self.clock()
                    claimed = await self._store.call(
                        self.outbox.claim,
                        partner.name,
                        owner=self.owner,
                        limit=room,
                        lease=self.settings.lease,
                        now=now,
                    )
                    if len(claimed) < room:  # nothing more due: look again later
                        check_at[partner.name] = now + self.settings.poll_interval
                    for delivery in claimed:
                        inflight[partner.name] += 1
                        coro = self._deliver(
                            partner,
                            delivery,
                            (total, per_partner[partner.name]),
                            started,
                            now + self.settings.lease,
                        )
                        tasks[asyncio.create_task(coro)] = delivery
                if not tasks and mode == "once":
                    return
                if not tasks:
                    await self.outcomes.flush()  # else our own rows still look leased
                    await self._release_dead_workers()
                    next_due = await self._store.call(self.outbox.next_due, names)
                    if next_due is None and mode == "drain":
                        return
                    now = self.clock()
                    wake = now + self.settings.poll_interval
                    if next_due is not None:
                        wake = min(wake, max(next_due, now + 0.005))
                    check_at = dict.fromkeys(names, wake)
                    await asyncio.wait({stop_wait}, timeout=wake - now)
                    continue
                now = self.clock()
                hungry = [
                    check_at[p.name]
                    for p in self.partners
                    if inflight[p.name] <= p.concurrency * (WINDOW - 1)
                ]
                timeout = max(0.0, min(hungry) - now) if hungry else None
                waiting: set[asyncio.Future[Any]] = {*tasks, stop_wait}
                done, _ = await asyncio.wait(
                    waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    if task is stop_wait:
                        continue
                    delivery = tasks.pop(task)
                    inflight[delivery.partner] -= 1
                    started.discard(delivery.id)
                    check_at[delivery.partner] = 0.0  # a later version may be due now
                    task.result()
        finally:
            await self._shutdown(tasks, started, force)
            stop_wait.cancel()

    async def _release_dead_workers(self) -> None:
        """Now and then while idle: work leased by a worker that died is due again at once."""
        now = self.clock()
        if now >= self._next_release_check:
            self._next_release_check = now + max(5.0, 10 * self.settings.poll_interval)
            await self._store.call(self.outbox.release_owners, owner_gone)

    async def _sweep(self) -> None:
        """Now and then: close connections idle too long or closed by the server (a busy
        partner's are in use; an idle one's would otherwise wait for its next delivery)."""
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            for endpoint in self._endpoints.values():
                await endpoint.sweep()

    async def _shutdown(
        self, tasks: dict[asyncio.Future[Any], Delivery], started: set[int], force: asyncio.Event
    ) -> None:
        """Let requests on the wire finish (a second signal cuts them); give back the rest."""
        waiting = [t for t, d in tasks.items() if d.id not in started]
        for task in waiting:
            task.cancel()
        running = [t for t, d in tasks.items() if d.id in started]
        if running:
            force_wait: asyncio.Future[Any] = asyncio.ensure_future(force.wait())
            pending: set[asyncio.Future[Any]] = set(running)
            while pending and not force.is_set():
                _, pending = await asyncio.wait(
                    {*pending, force_wait}, return_when=asyncio.FIRST_COMPLETED
                )
                pending.discard(force_wait)
            for task in pending:
                task.cancel()
            force_wait.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await self.outcomes.close()  # what was sent is recorded before we go
        finally:
            unsent = [d for t, d in tasks.items() if t.cancelled()]
            await self._store.call(self.outbox.release, unsent)

    async def _deliver(
        self,
        partner: Partner,
        delivery: Delivery,
        gates: tuple[asyncio.Semaphore, asyncio.Semaphore],
        started: set[int],
        lease_ends: float,
    ) -> None:
        total, mine = gates
        async with mine, total:
            # Queued so long that the lease could lapse mid-request? Then another worker
            # may take it over: hand it back rather than risk sending it twice.
            if self.clock() + partner.timeout.worst_case > lease_ends:
                await self._store.call(self.outbox.release, [delivery])
                return
            started.add(delivery.id)
            began = time.monotonic()
            outcome = await self._attempt(partner, delivery)
        self._record(partner, delivery, outcome, time.monotonic() - began)

    async def _attempt(self, partner: Partner, delivery: Delivery) -> Outcome:
        signer = self.signers[partner.name]
        endpoint = self._endpoints[partner.name]
        body = delivery.body
        headers = endpoint.static + signer.headers(delivery.webhook_id, int(self.clock()), body)
        headers.append((b"content-type", delivery.content_type.encode()))
        headers.append((b"content-length", b"%d" % len(body)))
        try:
            answer = await endpoint.post(headers, body)
        except httpcore.TimeoutException as exc:
            return Outcome("retry", None, f"timed out ({type(exc).__name__})")
        except HTTP_ERRORS as exc:
            refused = refused_by_guard(exc)
            if refused is not None:  # a misdirected URL does not fix itself by retrying
                return Outcome("dead", None, refused)
            url = self.urls[partner.name]
            message = signer.redact(str(exc)).replace(url, redact_url(url))
            return Outcome("retry", None, f"connection failed: {type(exc).__name__}: {message}")
        if 200 <= answer.status < 300:  # the common case: no header or excerpt needed
            return Outcome("delivered", answer.status)
        retry_after = parse_retry_after(answer.header(b"retry-after"), self.clock())
        location = answer.header(b"location") or ""
        location = redact_url(location) if location else ""
        return for_status(answer.status, signer.redact(excerpt(answer.body)), retry_after, location)

    def _record(
        self, partner: Partner, delivery: Delivery, outcome: Outcome, duration: float
    ) -> None:
        now = self.clock()
        what = f"{partner.name}: {delivery.uid} v{delivery.version}"
        attempts = delivery.attempts + 1
        if outcome.kind == "delivered":
            assert outcome.status is not None
            self._report(delivery, Result("delivered", outcome.status, "", now, 0, duration))
            self.report.delivered += 1
            self.report.by_partner[partner.name] += 1
            return
        if outcome.kind == "retry" and attempts < partner.max_attempts:
            delay = retry_delay(attempts, partner.backoff, outcome.retry_after, self.rng)
            result = Result("retry", outcome.status, outcome.error, now, now + delay, duration)
            self._report(delivery, result)
            self.report.retried += 1
            self.on_event(
                f"{what}: attempt {attempts} failed ({outcome.error}); retry in {delay:.1f}s"
            )
            return
        error = outcome.error
        if outcome.kind == "retry":
            error = f"gave up after {attempts} attempts: {error}"
        self._report(delivery, Result("dead", outcome.status, error, now, 0, duration))
        self.report.dead += 1
        self.on_event(f"{what}: dead letter: {error}")

    def _report(self, delivery: Delivery, result: Result) -> None:
        """Queue the outcome for the next batch (recorded within `batch_delay` seconds)."""
        self.outcomes.add(delivery, result)

    def _lease_lost(self, delivery: Delivery) -> None:
        self.on_event(
            f"{delivery.partner}: {delivery.uid} v{delivery.version}: lease lost before "
            "the outcome came back; another worker owns it (attempt kept in the log)"
        )

"""Pumps every domain event from the bus into the append-only event log.

Events are taken inline (so none is missed, whatever the subscriber load) and written in batches
from a worker thread, so a slow disk never stalls the PBX reader.

A batch that fails because the database is unreachable is kept whole for the next flush. A batch that
fails for any other reason is written again one event per transaction: the events that go in are kept,
and the one that cannot be stored (a value the column refuses, say) is logged and set aside, so one bad
event never holds back those after it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable

from bus.eventbus import EventBus
from bus.eventlog import EventLogUnavailable, EventLogWriter
from bus.events import DomainEvent

log = logging.getLogger(__name__)

OUTAGE_RETRY = 1.0

# How many set-aside events are kept in memory for inspection (each is also logged in full).
SET_ASIDE_KEPT = 1000


class EventRecorder:
    """Appends bus events to an event log (``writer``), in publish order, in batches.

    ``keep(event)`` chooses the events to store (all by default). :attr:`set_aside` holds the latest
    events no write could store; :attr:`failed` counts them all. ``store`` names what is written in the log.
    """

    def __init__(
        self,
        bus: EventBus,
        writer: EventLogWriter,
        *,
        flush_interval: float = 0.1,
        keep: Callable[[DomainEvent], bool] | None = None,
        store: str = "event log",
    ) -> None:
        self._bus = bus
        self.store = store
        self._writer = writer
        self._interval = flush_interval
        self._keep = keep
        self._pending: list[DomainEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.written = 0
        self.failed = 0
        self.set_aside: collections.deque[DomainEvent] = collections.deque(maxlen=SET_ASIDE_KEPT)
        # While the store is unreachable: when that began and how many writes failed since (logged once).
        self._outage_began: float | None = None
        self._outage_failures = 0
        self._failed_in_outages = 0

    def _take(self, event: DomainEvent) -> None:
        if self._keep is None or self._keep(event):
            self._pending.append(event)

    def start(self) -> None:
        self._stopping.clear()
        self._bus.add_listener(self._take)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="event-recorder")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            # An unreachable store is tried again at most every OUTAGE_RETRY seconds.
            pause = self._interval if self._outage_began is None else max(self._interval, OUTAGE_RETRY)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
            await self.flush()

    def backlog(self, now: float) -> tuple[int, float | None]:
        """Events taken but not yet written, and the age in seconds of the oldest (by its ``at``)."""
        pending = self._pending
        return len(pending), (max(0.0, now - pending[0].at) if pending else None)

    @property
    def failed_writes(self) -> int:
        """Writes that failed since start: set-aside events and writes to an unreachable store."""
        return self.failed + self._failed_in_outages

    @property
    def unreachable(self) -> bool:
        """Whether the last write found the store unreachable."""
        return self._outage_began is not None

    def _lost_store(self, exc: EventLogUnavailable, kept: int) -> None:
        self._outage_failures += 1
        self._failed_in_outages += 1
        if self._outage_began is None:
            self._outage_began = time.monotonic()
            log.error("%s cannot be written (%s): events are kept in memory and written when it can be "
                      "again; %d kept now", self.store, exc, kept)

    def _found_store(self) -> None:
        if self._outage_began is not None:
            log.warning("%s writable again after %.1f s and %d failed writes; the kept events are written",
                        self.store, time.monotonic() - self._outage_began, self._outage_failures)
            self._outage_began, self._outage_failures = None, 0

    async def flush(self) -> None:
        """Write everything taken so far; returns once it is committed, even if another flush wrote it."""
        async with self._flushing:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await asyncio.to_thread(self._write, batch)
            except EventLogUnavailable as exc:
                self._pending[:0] = batch
                self._lost_store(exc, len(self._pending))
            except Exception:
                self._found_store()
                log.exception("writing %d events failed; writing them one at a time", len(batch))
                await self._write_one_by_one(batch)
            else:
                self._found_store()
                self.written += len(batch)

    async def _write_one_by_one(self, batch: list[DomainEvent]) -> None:
        for index, event in enumerate(batch):
            try:
                await asyncio.to_thread(self._write, [event])
            except EventLogUnavailable as exc:
                self._pending[:0] = batch[index:]
                self._lost_store(exc, len(self._pending))
                return
            except Exception:
                log.exception("event set aside, it cannot be stored: %r", event)
                self.failed += 1
                self.set_aside.append(event)
            else:
                self.written += 1

    def _write(self, batch: list[DomainEvent]) -> None:
        self._writer.append(batch)

    async def stop(self) -> None:
        """Stop taking events and write the rest; a write in flight is waited for, never cut short."""
        self._bus.remove_listener(self._take)
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

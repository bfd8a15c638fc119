"""Pumps every domain event from the bus into the append-only event log.

Events are taken inline (so none is missed, whatever the subscriber load) and written in batches
from a worker thread, so a slow disk never stalls the PBX reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import EventBus
from callcenter.events import DomainEvent
from crm_core.eventlog import append_events

log = logging.getLogger(__name__)


class EventRecorder:
    """Appends bus events to the ``event_log`` table, in publish order, in batches."""

    def __init__(
        self,
        bus: EventBus,
        sessions: sessionmaker[Session],
        *,
        flush_interval: float = 0.1,
        keep: Callable[[DomainEvent], bool] | None = None,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self._interval = flush_interval
        self._keep = keep
        self._pending: list[DomainEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()
        self.written = 0

    def _take(self, event: DomainEvent) -> None:
        if self._keep is None or self._keep(event):
            self._pending.append(event)

    def start(self) -> None:
        self._bus.add_listener(self._take)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="event-recorder")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    async def flush(self) -> None:
        """Write everything taken so far; returns once it is committed, even if another flush wrote it."""
        async with self._flushing:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await asyncio.to_thread(self._write, batch)
            except Exception:
                # Keep the events for the next attempt rather than lose them.
                log.exception("event log write of %d events failed; retrying", len(batch))
                self._pending[:0] = batch
                return
            self.written += len(batch)

    def _write(self, batch: list[DomainEvent]) -> None:
        with self._sessions() as session, session.begin():
            append_events(session, batch)

    async def stop(self) -> None:
        self._bus.remove_listener(self._take)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

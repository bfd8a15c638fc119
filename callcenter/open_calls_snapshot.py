"""The snapshot of the open calls (:class:`acd.open_calls.OpenCalls`) a leading node keeps in the database, so
that re-adoption after a restart reads the snapshot and the event log's tail, not the whole log: start-up
does not grow with history.

Every ``interval`` seconds a worker thread folds the events logged since the snapshot into it and stores it
with its new position. A pass folds only up to the last id the *previous* pass saw: PostgreSQL hands ids out
before the writes commit, so a write of another node still in flight could otherwise commit below a snapshot
already taken and never be read; a write that began before the previous pass has long committed by now.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from acd.open_calls import HISTORY_EVENTS, OpenCalls, UnreadableOpenCalls
from crm_core.db import session_scope
from crm_core.eventlog import last_position, scan_logged
from crm_core.log_snapshots import LogSnapshot, load_snapshot, save_snapshot

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "acd-open-calls"
INTERVAL = 30.0
# Log ids folded per pass at most: the first pass over a long log that has no snapshot yet goes in steps.
PASS_EVENTS = 200_000


class OpenCallsSnapshot:
    """Reads what the event log leaves open (snapshot plus tail) and keeps the snapshot up to date."""

    def __init__(self, sessions: sessionmaker[Session], *, interval: float = INTERVAL,
                 pass_events: int = PASS_EVENTS, clock: Callable[[], float] = time.time) -> None:
        self._sessions = sessions
        self._interval = interval
        self._pass_events = pass_events
        self._clock = clock
        self._horizon = 0  # the last log id seen by the previous pass: the next one folds up to it
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.tail_events = 0  # how many events the last open_calls() read after the snapshot

    def open_calls(self) -> OpenCalls:
        """The stored snapshot with the events logged after it folded in (blocking: run it in a thread)."""
        with self._sessions() as session:
            state, position = self._stored(session)
            until = last_position(session)
            tail = [entry.event for entry in scan_logged(session, HISTORY_EVENTS, since_id=position, until_id=until)]
        self.tail_events = len(tail)
        self._horizon = max(self._horizon, until)
        return state.fold(tail)

    def advance(self) -> int:
        """Fold the events up to the horizon into the stored snapshot; returns the position it covers now
        (blocking: run it in a thread)."""
        with session_scope(self._sessions) as session:
            state, position = self._stored(session)
            until = min(self._horizon, position + self._pass_events)
            if until > position:
                state.fold(entry.event for entry in scan_logged(session, HISTORY_EVENTS, since_id=position,
                                                                 until_id=until))
                payload = json.dumps(state.to_record(), ensure_ascii=False, separators=(",", ":"))
                save_snapshot(session, SNAPSHOT_NAME, LogSnapshot(until, self._clock(), payload))
                position = until
            self._horizon = max(self._horizon, last_position(session))
        return position

    def _stored(self, session: Session) -> tuple[OpenCalls, int]:
        snapshot = load_snapshot(session, SNAPSHOT_NAME)
        if snapshot is None:
            return OpenCalls(), 0
        try:
            return OpenCalls.from_record(json.loads(snapshot.payload)), snapshot.position
        except (ValueError, UnreadableOpenCalls) as exc:
            log.warning("the open-calls snapshot cannot be read (%s): folding the whole event log instead", exc)
            return OpenCalls(), 0

    def start(self) -> None:
        """Keep the snapshot up to date every ``interval`` seconds until :meth:`stop`."""
        self._stopping.clear()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="open-calls-snapshot")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            if self._stopping.is_set():
                return
            try:
                await asyncio.to_thread(self.advance)
            except (SQLAlchemyError, OSError) as exc:
                # The log is complete without it: the next pass (or start-up) folds from the older snapshot.
                log.warning("the open-calls snapshot could not be updated (%s); next try in %.0f s", exc,
                            self._interval)

    async def stop(self) -> None:
        """Stop updating; a pass under way is waited for (its thread cannot be cut short)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

"""The append-only event log: every domain event, in order, as the source for reports and recovery."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Float, Index, Integer, String, Text, func, insert, select
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bus.eventlog import EventLogUnavailable
from bus.events import DomainEvent
from crm_core.db import Base

# Failures of the connection or the disk, not of an event: every event would fail alike, so all can be retried.
_CONNECTION_LOST: tuple[type[Exception], ...] = (OperationalError, InterfaceError, DisconnectionError, OSError)


class EventLogEntry(Base):
    """One logged event; ``payload`` is :meth:`DomainEvent.to_json` output."""

    __tablename__ = "event_log"
    # An agent's day (the desktop's own figures) is read by agent and time.
    __table_args__ = (Index("ix_event_log_agent_at", "agent_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(100), index=True)
    call_id: Mapped[str | None] = mapped_column(String(100), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)


@dataclasses.dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event read back with its log position (pass ``id`` as ``since_id`` to continue)."""

    id: int
    event: DomainEvent


def _optional_str(event: DomainEvent, name: str) -> str | None:
    value = getattr(event, name, None)
    return None if value is None else str(value)


def append_events(session: Session, events: Sequence[DomainEvent]) -> None:
    """Append ``events`` in order in one bulk insert (the caller commits)."""
    if not events:
        return
    rows = [
        {
            "at": e.at,
            "type": e.type_name,
            "call_id": _optional_str(e, "call_id"),
            "agent_id": _optional_str(e, "agent_id"),
            "payload": e.to_json(),
        }
        for e in events
    ]
    session.execute(insert(EventLogEntry), rows)


@contextmanager
def unavailable_on_connection_loss(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction; a lost or refused connection is raised as :class:`EventLogUnavailable`."""
    try:
        with sessions() as session, session.begin():
            yield session
    except _CONNECTION_LOST as exc:
        # The driver's own words ("database or disk is full", "terminating connection..."), not the SQL and
        # the whole batch's parameters.
        raise EventLogUnavailable(str(getattr(exc, "orig", None) or exc).strip()) from exc


def _stored(session: Session, event: DomainEvent) -> bool:
    query = select(EventLogEntry.id).where(EventLogEntry.type == event.type_name,
                                           EventLogEntry.payload == event.to_json()).limit(1)
    return session.execute(query).first() is not None


class SqlEventLog:
    """The ``event_log`` table as the node's :class:`bus.eventlog.EventLogWriter`.

    A write cut off with its connection may have committed all the same (the connection died after the
    server committed, before we heard). The writer remembers the last event of each such batch; since a
    failed batch is tried again at the head of the next, the next write first looks for those events and
    leaves out what is stored already, so no event is logged twice.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._in_doubt: list[DomainEvent] = []

    def append(self, events: Sequence[DomainEvent]) -> None:
        try:
            with unavailable_on_connection_loss(self._sessions) as session:
                append_events(session, self._unstored(session, events))
        except EventLogUnavailable:
            if events and events[-1] not in self._in_doubt:
                self._in_doubt.append(events[-1])
            raise
        self._in_doubt.clear()

    def _unstored(self, session: Session, events: Sequence[DomainEvent]) -> Sequence[DomainEvent]:
        """``events`` after the last in-doubt one already stored."""
        for marker in reversed(self._in_doubt):
            if marker in events and _stored(session, marker):
                return events[events.index(marker) + 1:]
        return events


def read_logged(
    session: Session,
    *,
    since_id: int = 0,
    types: Iterable[str | type[DomainEvent]] | None = None,
    call_id: str | None = None,
    limit: int | None = None,
) -> list[LoggedEvent]:
    """Logged events with ``id > since_id`` in log order, filtered by type names/classes and call."""
    query = select(EventLogEntry.id, EventLogEntry.payload).where(EventLogEntry.id > since_id)
    if types is not None:
        names = [t if isinstance(t, str) else t.__name__ for t in types]
        query = query.where(EventLogEntry.type.in_(names))
    if call_id is not None:
        query = query.where(EventLogEntry.call_id == call_id)
    query = query.order_by(EventLogEntry.id)
    if limit is not None:
        query = query.limit(limit)
    return [LoggedEvent(row_id, DomainEvent.from_json(payload)) for row_id, payload in session.execute(query)]


def last_position(session: Session) -> int:
    """The id of the last logged event (0 for an empty log)."""
    return int(session.scalar(select(func.max(EventLogEntry.id))) or 0)


def scan_logged(
    session: Session,
    types: Iterable[str | type[DomainEvent]],
    *,
    since_id: int,
    until_id: int,
    window: int = 20_000,
) -> Iterator[LoggedEvent]:
    """The logged events of ``types`` with ``since_id < id <= until_id``, in log order, read ``window`` ids at a
    time (memory stays flat however long the stretch).

    The type filter runs here, not in SQL: each query is then a range of the primary key, which no database
    plans as a walk of the type index over the whole log.
    """
    names = {t if isinstance(t, str) else t.__name__ for t in types}
    low = since_id
    while low < until_id:
        high = min(low + window, until_id)
        query = (select(EventLogEntry.id, EventLogEntry.type, EventLogEntry.payload)
                 .where(EventLogEntry.id > low, EventLogEntry.id <= high).order_by(EventLogEntry.id))
        for row_id, type_name, payload in session.execute(query):
            if type_name in names:
                yield LoggedEvent(row_id, DomainEvent.from_json(payload))
        low = high


def read_events(
    session: Session,
    *,
    since_id: int = 0,
    types: Iterable[str | type[DomainEvent]] | None = None,
    call_id: str | None = None,
) -> list[DomainEvent]:
    """The events of :func:`read_logged`, without their positions.

    Raises :class:`bus.events.UnknownEventType` for a type whose module is not imported.
    """
    return [entry.event for entry in read_logged(session, since_id=since_id, types=types, call_id=call_id)]

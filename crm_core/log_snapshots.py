"""Snapshots of state folded from the event log, each with the log position it covers, so a reader folds
only the events after it (the tail) instead of the whole log. The store does not know what the state means:
its owner names it and gives it as text."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm_core.db import Base


class LogSnapshotRow(Base):
    """The latest snapshot of one named state: ``payload`` folds every event with ``id <= position``."""

    __tablename__ = "event_log_snapshots"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[float] = mapped_column(Float)
    payload: Mapped[str] = mapped_column(Text)


@dataclasses.dataclass(frozen=True, slots=True)
class LogSnapshot:
    """A stored snapshot: the state's text, the last event log id it covers, and when it was taken."""

    position: int
    taken_at: float
    payload: str


def load_snapshot(session: Session, name: str) -> LogSnapshot | None:
    """The stored snapshot called ``name``, if any."""
    row = session.get(LogSnapshotRow, name)
    return None if row is None else LogSnapshot(row.position, row.taken_at, row.payload)


def save_snapshot(session: Session, name: str, snapshot: LogSnapshot) -> None:
    """Store ``snapshot`` as the one called ``name``, in place of the one before (the caller commits)."""
    row = session.get(LogSnapshotRow, name)
    if row is None:
        session.add(LogSnapshotRow(name=name, position=snapshot.position, taken_at=snapshot.taken_at,
                                   payload=snapshot.payload))
    else:
        row.position, row.taken_at, row.payload = snapshot.position, snapshot.taken_at, snapshot.payload

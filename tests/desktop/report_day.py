"""A few calls of one day written the way the recorder writes them (events -> interaction rows -> rollups),
for the report page tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from acd.events import AgentStateChanged, CallAbandoned, CallConnected, CallDisposed, CallEnded, CallQueued
from bus.events import DomainEvent
from callcenter.interaction_rows import InteractionRowWriter


def day_start(now: float) -> float:
    """Midnight UTC of ``now``'s day."""
    return dt.datetime.fromtimestamp(now, dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def calls_of_a_day(start: float) -> list[DomainEvent]:
    """From 01:00 after ``start``: support answers three calls (one in 40 s, out of SL) and loses one after
    60 s; sales answers one; a1 is ready, on call, wraps up, pauses for lunch."""
    t = start + 3600
    events: list[DomainEvent] = [AgentStateChanged(at=t, agent_id="a1", state="ready", previous="logged_out")]
    for n, (queue, wait) in enumerate((("support", 5), ("support", 10), ("support", 40), ("sales", 3))):
        at = t + 600 * n
        agent = "a1" if queue == "support" else "a2"
        events += [CallQueued(at=at, call_id=f"r{n}", queue=queue, priority=0, enter_time=at),
                   CallConnected(at=at + wait, call_id=f"r{n}", queue=queue, agent_id=agent, wait_seconds=wait),
                   CallEnded(at=at + wait + 120, call_id=f"r{n}", queue=queue, agent_id=agent, talk_seconds=120),
                   CallDisposed(at=at + wait + 150, call_id=f"r{n}", agent_id=agent,
                                disposition="resolved" if n % 2 else "escalated")]
    events += [CallQueued(at=t + 2700, call_id="r9", queue="support", priority=0, enter_time=t + 2700),
               CallAbandoned(at=t + 2760, call_id="r9", queue="support", wait_seconds=60),
               AgentStateChanged(at=t + 3000, agent_id="a1", state="not_ready", previous="ready", reason="lunch"),
               AgentStateChanged(at=t + 4800, agent_id="a1", state="ready", previous="not_ready")]
    return events


def write_day(sessions: sessionmaker[Session], start: float) -> None:
    InteractionRowWriter(sessions).append(calls_of_a_day(start))

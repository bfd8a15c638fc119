"""An agent's own day on the desktop: today's calls (from the interaction history) and figures (calls, AHT,
time in each state) folded from the event log by the reports' own replay and definitions, so the agent's
numbers are the ones the reports will show for the same day. The reports' calls are those the ACD put
through; the calls the agent placed by hand (and how many of them a person answered) are counted apart.

"Today" starts at midnight in the wall's time zone (the server's when none is configured).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from acd.events import AgentStateChanged
from bus.clock import Clock
from bus.events import DomainEvent
from crm_core.eventlog import EventLogEntry
from crm_core.interactions import MANUAL
from crm_core.models import Customer, Interaction
from reports.history import REPLAYED_EVENTS, replay
from reports.tables import Period, agent_table

_REPLAYED = tuple(t.__name__ for t in REPLAYED_EVENTS)
MAX_CALLS_LISTED = 200


def day_start(now: float, tz: dt.tzinfo | None) -> float:
    """Midnight of ``now``'s date in ``tz`` (the server's zone when None), as epoch seconds."""
    local = dt.datetime.fromtimestamp(now, tz).astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _events(session: Session, agent_id: str, start: float) -> list[DomainEvent]:
    """The agent's events since ``start`` with the whole story of each call it touched, plus the state it
    was in at ``start``."""
    agent_rows = select(EventLogEntry.call_id).where(
        EventLogEntry.agent_id == agent_id, EventLogEntry.at >= start, EventLogEntry.call_id.is_not(None))
    opening = session.scalar(
        select(EventLogEntry.id).where(EventLogEntry.agent_id == agent_id, EventLogEntry.at < start,
                                       EventLogEntry.type == AgentStateChanged.__name__)
        .order_by(EventLogEntry.at.desc(), EventLogEntry.id.desc()).limit(1))
    query = (select(EventLogEntry.payload).where(
        EventLogEntry.type.in_(_REPLAYED),
        or_(EventLogEntry.id == (opening or 0),
            (EventLogEntry.agent_id == agent_id) & (EventLogEntry.at >= start),
            EventLogEntry.call_id.in_(agent_rows)))
        .order_by(EventLogEntry.id))
    return [DomainEvent.from_json(payload) for payload in session.scalars(query)]


def _figures(session: Session, agent_id: str, start: float, now: float) -> dict[str, Any]:
    history = replay(_events(session, agent_id, start), until=now)
    row = next((r for r in agent_table(history, Period(start, now)) if r.agent_id == agent_id), None)
    if row is None:
        return {"calls": 0, "aht": None, "seconds_by_state": {}, "not_ready_by_reason": {}}
    return {"calls": row.calls, "aht": row.aht, "seconds_by_state": row.seconds_by_state,
            "not_ready_by_reason": row.not_ready_by_reason}


def _calls(session: Session, agent_id: str, start: float) -> list[dict[str, Any]]:
    query = (select(Interaction, Customer.name).outerjoin(Customer, Customer.id == Interaction.customer_id)
             .where(Interaction.agent_id == agent_id, Interaction.enter_at >= start)
             .order_by(Interaction.enter_at.desc(), Interaction.id.desc()).limit(MAX_CALLS_LISTED))
    return [{"call_id": leg.call_id, "at": leg.answer_at or leg.enter_at, "direction": leg.direction,
             "queue": leg.queue, "customer_id": None if leg.customer_id is None else str(leg.customer_id),
             "customer_name": name, "ani": leg.ani, "talk_seconds": leg.talk_seconds, "hold_seconds": leg.hold_seconds,
             "wrap_up_seconds": leg.wrap_up_seconds, "outcome": leg.outcome, "disposition": leg.disposition,
             "notes": leg.notes}
            for leg, name in session.execute(query)]


def _placed_by_hand(session: Session, agent_id: str, start: float) -> dict[str, int]:
    placed, answered = session.execute(  # count(answer_at) counts the answered ones (not null)
        select(func.count(Interaction.id), func.count(Interaction.answer_at))
        .where(Interaction.agent_id == agent_id, Interaction.direction == MANUAL, Interaction.enter_at >= start)).one()
    return {"manual_calls": placed, "manual_answered": answered}


class MyDay:
    """Reads an agent's day from the CRM database ``sessions``."""

    def __init__(self, sessions: sessionmaker[Session], *, tz: dt.tzinfo | None = None,
                 clock: Clock = time.time) -> None:
        self._sessions = sessions
        self._tz = tz
        self._clock = clock

    async def of(self, agent_id: str) -> dict[str, Any]:
        """Today's figures and calls of ``agent_id``."""
        def run() -> dict[str, Any]:
            now = self._clock()
            start = day_start(now, self._tz)
            with self._sessions() as session:
                return {"since": start, "at": now, **_figures(session, agent_id, start, now),
                        **_placed_by_hand(session, agent_id, start), "history": _calls(session, agent_id, start)}
        return await asyncio.to_thread(run)

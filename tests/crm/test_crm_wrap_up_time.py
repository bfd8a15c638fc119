"""After-call work lands on the interaction row however wrap-up ends: by its timer without a disposition,
by a disposition saved during it, or with the disposition saved after the timer ended it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.events import AgentStateChanged, CallConnected, CallDisposed, CallEnded, CallQueued
from bus.events import DomainEvent
from callcenter.interaction_rows import apply_event
from crm_core.models import Interaction


def talked(call_id: str, start: float) -> list[DomainEvent]:
    return [
        CallQueued(at=start, call_id=call_id, queue="support", priority=0, enter_time=start),
        CallConnected(at=start + 5, call_id=call_id, queue="support", agent_id="a1", wait_seconds=5.0),
        AgentStateChanged(at=start + 5, agent_id="a1", state="on_call", previous="reserved", call_id=call_id),
        CallEnded(at=start + 65, call_id=call_id, queue="support", agent_id="a1", talk_seconds=60.0),
        # The core forgets the call before moving the agent: the wrap-up's state change carries no call id.
        AgentStateChanged(at=start + 65, agent_id="a1", state="wrap_up", previous="on_call"),
    ]


def wrap_up_of(session: Session, call_id: str) -> float | None:
    return session.scalars(select(Interaction.wrap_up_seconds).where(Interaction.leg_id == call_id)).one()


def test_wrap_up_ended_by_its_timer_without_a_disposition_is_recorded(session: Session) -> None:
    for event in [*talked("c1", 0.0), AgentStateChanged(at=95.0, agent_id="a1", state="ready", previous="wrap_up")]:
        apply_event(session, event)
    session.commit()
    assert wrap_up_of(session, "c1") == 30.0


def test_a_disposition_saved_after_the_timer_keeps_the_wrap_up_it_had(session: Session) -> None:
    events = [*talked("c1", 0.0), AgentStateChanged(at=95.0, agent_id="a1", state="ready", previous="wrap_up"),
              CallDisposed(at=200.0, call_id="c1", agent_id="a1", disposition="sale")]
    for event in events:
        apply_event(session, event)
    session.commit()
    assert wrap_up_of(session, "c1") == 30.0


def test_a_disposition_during_wrap_up_then_its_end_count_until_the_end(session: Session) -> None:
    events = [*talked("c1", 0.0), CallDisposed(at=80.0, call_id="c1", agent_id="a1", disposition="sale"),
              AgentStateChanged(at=81.0, agent_id="a1", state="ready", previous="wrap_up"),
              *talked("c2", 100.0),
              AgentStateChanged(at=175.0, agent_id="a1", state="not_ready", previous="wrap_up", reason="lunch")]
    for event in events:
        apply_event(session, event)
    session.commit()
    assert (wrap_up_of(session, "c1"), wrap_up_of(session, "c2")) == (16.0, 10.0)

"""A consultation is a leg of the caller's call: the colleague's part, handed the caller or not. Time on
hold is kept apart from talk time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered, CallQueued
from bus.events import DomainEvent
from callcenter.interaction_rows import apply_event
from crm_core.models import Interaction
from ivr.caller import CallerData

CONSULTED_AND_HANDED_OVER: list[DomainEvent] = [
    CallQueued(at=10.0, call_id="c1", queue="support", priority=0, enter_time=10.0,
               caller=CallerData(ani="+14155550101", customer_code="100008", intent="billing")),
    CallOffered(at=15.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=5.0),
    CallConnected(at=17.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=7.0),
    CallQueued(at=40.0, call_id="c1-consult-1", queue="support", priority=0, enter_time=40.0,
               caller=CallerData(ani="+14155550101", customer_code="100008", intent="billing"), consult_of="c1"),
    CallOffered(at=40.0, call_id="c1-consult-1", queue="support", agent_id="a3", consult_of="c1"),
    CallConnected(at=42.0, call_id="c1-consult-1", queue="support", agent_id="a3", wait_seconds=2.0),
    # a1 held the caller for the 20 s of the consultation
    CallEnded(at=60.0, call_id="c1", queue="support", agent_id="a1", talk_seconds=43.0, outcome="transferred",
              held_seconds=20.0),
    CallDisposed(at=65.0, call_id="c1", agent_id="a1", disposition="transferred"),
    CallEnded(at=160.0, call_id="c1-consult-1", queue="support", agent_id="a3", talk_seconds=118.0),
    CallDisposed(at=170.0, call_id="c1-consult-1", agent_id="a3", disposition="resolved", notes="fixed"),
]


def test_the_consulted_colleagues_part_is_a_consult_leg_of_the_callers_call(session: Session) -> None:
    for _ in range(2):  # a replay changes nothing
        for event in CONSULTED_AND_HANDED_OVER:
            apply_event(session, event)
    session.commit()
    rows = list(session.scalars(select(Interaction).order_by(Interaction.id)))
    assert [(r.leg_id, r.call_id, r.direction) for r in rows] == [
        ("c1", "c1", "inbound"), ("c1-consult-1", "c1", "consult")]
    first, consult = rows
    assert (first.agent_id, first.outcome, first.disposition, first.talk_seconds, first.hold_seconds) == (
        "a1", "transferred", "transferred", 23.0, 20.0)
    assert (consult.agent_id, consult.outcome, consult.disposition, consult.notes) == (
        "a3", "answered", "resolved", "fixed")
    assert (consult.answer_at, consult.end_at, consult.talk_seconds) == (42.0, 160.0, 118.0)
    # the colleague's leg knows whose call it was
    assert (consult.customer_code, consult.ani, consult.intent) == ("100008", "+14155550101", "billing")

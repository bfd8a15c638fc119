"""A blind-transferred call leaves one interaction row per queue visit, however often it is replayed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered, CallQueued
from bus.events import DomainEvent
from callcenter.interaction_rows import apply_event
from crm_core.models import Interaction
from ivr.caller import CallerData

TRANSFERRED_CALL: list[DomainEvent] = [
    CallQueued(at=10.0, call_id="c1", queue="support", priority=0, enter_time=10.0,
               caller=CallerData(ani="+14155550101", customer_code="100008", intent="billing")),
    CallOffered(at=15.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=5.0,
                caller=CallerData(ivr_data=(("order", "42"),))),
    CallConnected(at=17.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=7.0),
    CallEnded(at=47.0, call_id="c1", queue="support", agent_id="a1", talk_seconds=30.0, outcome="transferred"),
    CallQueued(at=48.0, call_id="c1", queue="sales", priority=0, enter_time=48.0,
               caller=CallerData(ani="+14155550101", customer_code="100008", intent="billing")),
    CallDisposed(at=50.0, call_id="c1", agent_id="a1", disposition="transferred"),
    CallOffered(at=58.0, call_id="c1", queue="sales", agent_id="a2", wait_seconds=10.0),
    CallConnected(at=60.0, call_id="c1", queue="sales", agent_id="a2", wait_seconds=12.0),
    CallEnded(at=120.0, call_id="c1", queue="sales", agent_id="a2", talk_seconds=60.0),
    CallDisposed(at=130.0, call_id="c1", agent_id="a2", disposition="sale", notes="sold"),
]


def legs(session: Session) -> list[Interaction]:
    return list(session.scalars(select(Interaction).where(Interaction.call_id == "c1").order_by(Interaction.id)))


def test_each_queue_visit_of_a_transferred_call_is_its_own_leg(session: Session) -> None:
    for _ in range(2):  # a replay of the log changes nothing
        for event in TRANSFERRED_CALL:
            apply_event(session, event)
    session.commit()
    first, second = legs(session)
    assert (first.leg_id, first.queue, first.agent_id, first.outcome, first.disposition) == (
        "c1", "support", "a1", "transferred", "transferred")
    assert (first.enter_at, first.answer_at, first.end_at, first.talk_seconds, first.wrap_up_seconds) == (
        10.0, 17.0, 47.0, 30.0, 3.0)
    assert (second.leg_id, second.queue, second.agent_id, second.outcome, second.disposition, second.notes) == (
        "c1#2", "sales", "a2", "answered", "sale", "sold")
    assert (second.enter_at, second.answer_at, second.end_at, second.wait_seconds, second.talk_seconds) == (
        48.0, 60.0, 120.0, 12.0, 60.0)
    # The caller's data travels with the call.
    assert (second.ani, second.customer_code, second.intent, second.ivr_data) == (
        "+14155550101", "100008", "billing", {"order": "42"})

"""Calls pinned to a named agent (blind transfers and consultations to a colleague), and holds."""

import pytest
from acd_helpers import FakeClock, agents, make_acd

from acd.agents import AgentState
from acd.core import Acd
from acd.decisions import Offer, Refused
from acd.errors import WrongCallState
from acd.events import AgentStateChanged, CallEnded, CallOffered, CallOfferFailed, CallQueued


def floor() -> tuple[Acd, FakeClock]:
    acd, clock = make_acd({
        # sales is open one minute a week, and not now
        "queues": [{"name": "sales", "wrap_up_seconds": 5.0,
                    "hours": [{"days": "sun", "open": "00:00", "close": "00:01"}]},
                   {"name": "support"}],
        "agents": agents(("a1", {"en": 5}, ["sales"]), ("a2", {"en": 8}, ["support"]),
                         ("a3", {"de": 9}, ["support"])),
    })
    return acd, clock


def offers(fx) -> list[tuple[str, str]]:
    return [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer)]


def test_pinned_call_goes_to_that_agent_even_outside_their_queues_skills_and_hours() -> None:
    acd, _ = floor()
    assert acd.enqueue("c0", "sales").decisions == [Refused("c0", "sales", "closed")]
    acd.login("a2", ready=True)  # a better match for a support call, idle longer
    acd.login("a3", ready=True)
    fx = acd.enqueue("t1", "sales", skills={"en": 3}, agent_id="a3")  # sales is closed; a3 has no 'en'
    assert offers(fx) == [("t1", "a3")]
    assert acd.agent("a3").state is AgentState.RESERVED
    assert acd.agent("a2").state is AgentState.READY
    # a3 no longer counts as ready for anything else
    assert offers(acd.enqueue("c2", "support", skills={"de": 1})) == []


def test_pinned_call_to_an_agent_who_is_not_ready_is_refused_without_a_trace() -> None:
    acd, _ = floor()
    acd.login("a2", reason="break")
    fx = acd.enqueue("t1", "support", agent_id="a2")
    assert fx.decisions == [Refused("t1", "support", "agent_unavailable")]
    assert fx.events == []
    assert acd.waiting("support") == 0
    # the same id can be queued normally afterwards (nothing was kept)
    assert any(isinstance(e, CallQueued) for e in acd.enqueue("t1", "support").events)


def test_unanswered_pinned_transfer_waits_in_its_queue_for_anyone() -> None:
    acd, clock = floor()
    acd.login("a2", ready=True)
    acd.enqueue("t1", "support", agent_id="a2")
    acd.login("a3", ready=True)
    clock.advance(20)
    fx = acd.offer_failed("t1", "no_answer")
    assert offers(fx) == [("t1", "a3")]  # no longer pinned: the next ready member takes it
    assert acd.agent("a2").state is AgentState.NOT_READY


def test_unanswered_pinned_consultation_ends_there() -> None:
    acd, _ = floor()
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales", agent_id="a1")
    acd.answered("c1")
    acd.login("a2", ready=True)
    acd.login("a3", ready=True)
    fx = acd.enqueue("c1-consult-1", "sales", agent_id="a2", consult_of="c1")
    queued = next(e for e in fx.events if isinstance(e, CallQueued))
    offered = next(e for e in fx.events if isinstance(e, CallOffered))
    assert queued.consult_of == offered.consult_of == "c1"
    fx = acd.offer_failed("c1-consult-1", "no_answer")
    assert offers(fx) == []  # not handed to a3
    assert [e.reason for e in fx.events if isinstance(e, CallOfferFailed)] == ["no_answer"]
    assert acd.waiting("sales") == 0
    assert acd.agent("a1").state is AgentState.ON_CALL  # the consulting agent keeps the caller


def test_completed_consultation_hands_the_caller_to_the_colleague() -> None:
    acd, clock = floor()
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales", agent_id="a1")
    acd.answered("c1")
    acd.login("a2", ready=True)
    acd.enqueue("c1-consult-1", "sales", agent_id="a2", consult_of="c1")
    acd.answered("c1-consult-1")
    clock.advance(30)
    ended = [e for e in acd.transfer_out("c1").events if isinstance(e, CallEnded)]
    assert [(e.call_id, e.agent_id, e.outcome) for e in ended] == [("c1", "a1", "transferred")]
    assert acd.agent("a1").state is AgentState.WRAP_UP
    assert acd.agent("a2").state is AgentState.ON_CALL
    assert acd.call("c1-consult-1").agent_id == "a2"


def test_time_on_hold_is_counted_apart_including_a_hold_the_talk_ends_in() -> None:
    acd, clock = floor()
    acd.login("a2", ready=True)
    acd.enqueue("c1", "support")
    acd.answered("c1")
    clock.advance(10)
    held = acd.hold("c1").events
    assert [(type(e).__name__, e.agent_id) for e in held] == [("CallHeld", "a2")]
    clock.advance(30)
    (resumed,) = acd.resume("c1").events
    assert resumed.held_seconds == 30.0
    clock.advance(5)
    acd.hold("c1")
    clock.advance(7)  # the caller hangs up on hold
    (ended,) = [e for e in acd.hangup("c1").events if isinstance(e, CallEnded)]
    assert (ended.talk_seconds, ended.held_seconds) == (52.0, 37.0)


def test_hold_needs_a_talking_call_and_resume_a_held_one() -> None:
    acd, _ = floor()
    acd.login("a2", ready=True)
    acd.enqueue("c1", "support")
    with pytest.raises(WrongCallState):
        acd.hold("c1")  # still ringing
    acd.answered("c1")
    with pytest.raises(WrongCallState):
        acd.resume("c1")
    acd.hold("c1")
    with pytest.raises(WrongCallState):
        acd.hold("c1")
    # a restarted core keeps the hold
    restored, _ = floor()
    restored.restore(acd.snapshot())
    assert restored.call("c1").held_since == acd.call("c1").held_since


def test_a_consultation_that_ends_without_a_hand_over_leaves_nothing_to_wrap_up() -> None:
    acd, clock = floor()
    for agent in ("a1", "a2", "a3"):
        acd.login(agent, ready=True)
    acd.enqueue("c1", "sales", agent_id="a1")
    acd.answered("c1")
    acd.enqueue("c1-consult-1", "sales", agent_id="a2", consult_of="c1")
    acd.answered("c1-consult-1")
    clock.advance(12)
    (ended,) = [e for e in acd.end_consult("c1-consult-1").events if isinstance(e, CallEnded)]
    assert (ended.agent_id, ended.outcome, ended.talk_seconds) == ("a2", "consulted", 12.0)
    assert acd.agent("a2").state is AgentState.READY
    # one still ringing is simply dropped; the colleague is free again
    acd.enqueue("c1-consult-2", "sales", agent_id="a3", consult_of="c1")
    fx = acd.end_consult("c1-consult-2")
    assert [type(e).__name__ for e in fx.events if not isinstance(e, AgentStateChanged)] == ["CallAbandoned"]
    assert acd.agent("a3").state is AgentState.READY
    with pytest.raises(WrongCallState):
        acd.end_consult("c1")  # not a consultation
    assert acd.end_consult("c1-consult-2").events == []  # already gone


def test_a_colleague_logging_out_while_a_consultation_rings_them_ends_it() -> None:
    acd, _ = floor()
    for agent in ("a1", "a2", "a3"):
        acd.login(agent, ready=True)
    acd.enqueue("c1", "support", agent_id="a2")
    acd.answered("c1")
    acd.enqueue("c1-consult-1", "support", agent_id="a3", consult_of="c1")
    fx = acd.logout("a3")
    assert [e.reason for e in fx.events if isinstance(e, CallOfferFailed)] == ["logged_out"]
    assert not any(isinstance(e, CallQueued) for e in fx.events)  # not handed to whoever is in the queue
    assert acd.waiting("support") == 0
    assert acd.agent("a1").state is AgentState.READY

import json

import pytest
from acd_helpers import FakeClock, agents, make_acd

from acd.agents import AgentState, IllegalTransition
from acd.core import Acd
from acd.decisions import Offer, OriginateCallback, Refused
from acd.errors import UnknownCall, UnknownPauseReason, WrongCallState
from acd.events import AgentStateChanged, CallAbandoned, CallEnded, CallOffered, CallOfferFailed


def offers(fx) -> list[tuple[str, str]]:
    return [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer | OriginateCallback)]


def basic(wrap_up: float = 0.0, **queue: object) -> tuple[Acd, FakeClock]:
    return make_acd({
        "queues": [{"name": "sales", "wrap_up_seconds": wrap_up, **queue}, {"name": "general"}],
        "agents": agents(("a1", {"en": 5}, ["sales"]), ("a2", {"en": 8}, ["sales"]),
                         ("a3", {"en": 5, "fr": 6}, ["sales", "general"])),
    })


def test_call_goes_to_best_match_then_longest_idle() -> None:
    acd, clock = basic()
    acd.login("a1", ready=True)
    clock.advance(1)
    acd.login("a3", ready=True)
    clock.advance(1)
    acd.login("a2", ready=True)
    assert offers(acd.enqueue("c1", "sales", skills={"en": 3})) == [("c1", "a2")]  # level 8 beats 5
    assert offers(acd.enqueue("c2", "sales", skills={"en": 3})) == [("c2", "a1")]  # a1 idle longer than a3
    fx = acd.enqueue("c3", "sales", skills={"fr": 1})
    assert offers(fx) == [("c3", "a3")]
    assert [e.state for e in fx.events if isinstance(e, AgentStateChanged)] == ["reserved"]
    assert any(isinstance(e, CallOffered) and e.agent_id == "a3" for e in fx.events)


def test_call_never_offered_without_required_level() -> None:
    acd, _ = basic()
    acd.login("a1", ready=True)
    fx = acd.enqueue("c1", "sales", skills={"en": 6})
    assert offers(fx) == [] and acd.waiting("sales") == 1
    assert offers(acd.login("a2", ready=True)) == [("c1", "a2")]


def test_free_agent_takes_highest_priority_then_oldest() -> None:
    acd, clock = basic()
    acd.enqueue("old", "sales")
    clock.advance(5)
    acd.enqueue("vip", "sales", priority=2)
    clock.advance(5)
    acd.enqueue("new", "sales")
    assert offers(acd.login("a1", ready=True)) == [("vip", "a1")]
    assert offers(acd.login("a2", ready=True)) == [("old", "a2")]


def test_ring_no_answer_pauses_agent_and_returns_call_to_the_head() -> None:
    acd, clock = basic()
    acd.enqueue("first", "sales")
    clock.advance(3)
    acd.enqueue("second", "sales")
    entered = acd.call("first").enter_time
    acd.login("a1", ready=True)
    clock.advance(15)
    fx = acd.offer_failed("first", "no_answer")
    assert any(isinstance(e, CallOfferFailed) and e.reason == "no_answer" for e in fx.events)
    view = acd.agent("a1")
    assert (view.state, view.reason, view.call_id) == (AgentState.NOT_READY, "missed", None)
    assert acd.call("first").enter_time == entered
    assert acd.position("first") == 1 and acd.position("second") == 2
    assert offers(acd.login("a2", ready=True)) == [("first", "a2")]
    fx = acd.offer_failed("first", "busy")
    assert acd.agent("a2").reason == "busy"


def test_caller_hangup_at_each_step_leaks_no_reservation() -> None:
    acd, clock = basic(wrap_up=10)
    acd.enqueue("c1", "sales")
    clock.advance(4)
    fx = acd.hangup("c1")
    assert [type(e) for e in fx.events] == [CallAbandoned] and fx.events[0].wait_seconds == 4
    assert acd.waiting("sales") == 0

    acd.login("a1", ready=True)
    acd.enqueue("c2", "sales")
    assert acd.agent("a1").state is AgentState.RESERVED
    acd.hangup("c2")  # while ringing
    assert acd.agent("a1").state is AgentState.READY and acd.agent("a1").call_id is None
    with pytest.raises(UnknownCall):
        acd.answered("c2")
    acd.enqueue("c3", "sales")
    with pytest.raises(WrongCallState):
        acd.request_callback("c3", "+15550100")  # no longer waiting
    acd.answered("c3")
    clock.advance(30)
    fx = acd.hangup("c3")
    ended = [e for e in fx.events if isinstance(e, CallEnded)]
    assert ended[0].talk_seconds == 30 and acd.agent("a1").state is AgentState.WRAP_UP
    assert acd.hangup("c3").events == []  # a second hang-up report changes nothing
    clock.advance(10)
    assert acd.next_deadline() == clock.now
    acd.tick()
    assert acd.agent("a1").state is AgentState.READY  # auto-ready after wrap-up


def test_pause_chosen_during_call_applies_after_wrap_up() -> None:
    acd, clock = basic(wrap_up=5)
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales")
    acd.answered("c1")
    acd.pause("a1", "lunch")
    assert acd.agent("a1").state is AgentState.ON_CALL
    acd.hangup("c1")
    clock.advance(5)
    acd.tick()
    assert (acd.agent("a1").state, acd.agent("a1").reason) == (AgentState.NOT_READY, "lunch")
    acd.enqueue("c2", "sales")
    assert acd.agent("a1").call_id is None  # not ready agents get nothing


def test_make_ready_and_make_not_ready_log_a_logged_out_agent_in() -> None:
    acd, _ = basic()
    acd.make_ready("a1")
    acd.make_not_ready("a2", "lunch")
    assert acd.agent("a1").state is AgentState.READY
    assert (acd.agent("a2").state, acd.agent("a2").reason) == (AgentState.NOT_READY, "lunch")
    acd.make_not_ready("a1", "break")
    acd.make_ready("a2")
    assert (acd.agent("a1").state, acd.agent("a1").reason) == (AgentState.NOT_READY, "break")
    assert acd.agent("a2").state is AgentState.READY
    with pytest.raises(UnknownPauseReason):
        acd.make_not_ready("a3", "nap")
    acd.enqueue("c1", "sales")
    acd.answered("c1")
    with pytest.raises(IllegalTransition):
        acd.make_ready("a2")  # talking
    acd.make_not_ready("a2", "lunch")  # waits for the end of the call
    assert (acd.agent("a2").state, acd.agent("a2").pending_pause) == (AgentState.ON_CALL, "lunch")


def test_ending_wrap_up_early_readies_the_agent_or_applies_the_chosen_pause() -> None:
    acd, clock = basic(wrap_up=30)
    acd.login("a1", ready=True)
    acd.login("a2", ready=True)
    acd.enqueue("c1", "sales")  # a2, the better match
    acd.enqueue("c2", "sales")  # a1
    acd.answered("c1")
    acd.answered("c2")
    acd.pause("a1", "lunch")
    acd.hangup("c1")
    acd.hangup("c2")
    acd.enqueue("c3", "sales")  # nobody free: it waits
    with pytest.raises(IllegalTransition):
        acd.end_wrap_up("a3")  # logged out, nothing to wrap up
    clock.advance(5)
    fx = acd.end_wrap_up("a2")
    assert offers(fx) == [("c3", "a2")]  # ready, and the waiting call is offered at once
    fx = acd.end_wrap_up("a1")
    assert (acd.agent("a1").state, acd.agent("a1").reason) == (AgentState.NOT_READY, "lunch")
    assert [(e.state, e.reason) for e in fx.events if isinstance(e, AgentStateChanged)] == [("not_ready", "lunch")]
    with pytest.raises(IllegalTransition):
        acd.end_wrap_up("a1")  # over already
    clock.advance(25)
    assert acd.tick().events == []  # the wrap-up time running out later changes nothing
    assert acd.agent("a1").state is AgentState.NOT_READY and acd.agent("a2").state is AgentState.RESERVED

def test_agent_state_table_is_enforced() -> None:
    acd, _ = basic()
    with pytest.raises(IllegalTransition):
        acd.ready("a1")  # logged out
    with pytest.raises(IllegalTransition):
        acd.pause("a1", "lunch")
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales")
    acd.answered("c1")
    with pytest.raises(IllegalTransition):
        acd.logout("a1")  # talking
    with pytest.raises(UnknownPauseReason):
        acd.pause("a1", "nap")


def test_logout_while_ringing_requeues_the_call() -> None:
    acd, _ = basic()
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales")
    fx = acd.logout("a1")
    assert acd.agent("a1").state is AgentState.LOGGED_OUT
    assert any(isinstance(e, CallOfferFailed) for e in fx.events)
    assert offers(acd.login("a2", ready=True)) == [("c1", "a2")]


def test_queue_full_and_closed_are_refused_with_reason() -> None:
    acd, _ = basic(max_length=1)
    acd.enqueue("c1", "sales")
    assert acd.enqueue("c2", "sales").decisions == [Refused("c2", "sales", "queue_full")]
    closed, _ = make_acd({"queues": [{"name": "night", "timezone": "UTC",
                                      "hours": [{"days": "mon", "open": "00:00", "close": "00:01"}]}]},
                         FakeClock(1704790800.0))  # a Tuesday
    assert closed.enqueue("c1", "night").decisions == [Refused("c1", "night", "closed")]
    assert closed.enqueue("c2", "night", adopting=True).decisions == []  # re-adoption is never refused


def test_callback_keeps_place_and_originates_at_head() -> None:
    acd, clock = basic()
    acd.enqueue("c1", "sales")
    clock.advance(1)
    acd.enqueue("c2", "sales")
    fx = acd.request_callback("c1", "+4930123456")
    assert fx.events[0].number == "+4930123456"
    assert acd.hangup("c1").events == []  # the caller leaves; the entry stays
    assert acd.position("c1") == 1
    fx = acd.login("a1", ready=True)
    assert fx.decisions[0] == OriginateCallback("c1", "sales", "a1", "PJSIP/a1", "+4930123456")
    assert acd.agent("a1").state is AgentState.RESERVED
    fx = acd.hangup("c1")  # the customer could not be reached
    assert [e.outcome for e in fx.events if isinstance(e, CallEnded)] == ["callback_failed"]
    assert offers(fx) == [("c2", "a1")]  # the agent is free again and takes the next caller


def test_escalation_lowers_level_drops_skill_and_overflows() -> None:
    acd, clock = make_acd({
        "queues": [{"name": "vip", "skills": {"en": 9, "fr": 3},
                    "escalation": [{"after": 10, "lower": {"en": 5}}, {"after": 20, "drop": ["fr"]},
                                   {"after": 30, "overflow": ["general"]}]},
                   {"name": "general"}],
        "agents": agents(("fr5", {"en": 5, "fr": 3}, ["vip"]), ("en5", {"en": 5}, ["vip"]),
                         ("gen", {"en": 9, "fr": 9}, ["general"])),
    })
    acd.enqueue("c1", "vip")
    acd.enqueue("c2", "vip")
    acd.enqueue("c3", "vip")
    for a in ("fr5", "en5", "gen"):
        acd.login(a, ready=True)
    assert acd.next_deadline() == clock.now + 10
    clock.advance(10)
    assert offers(acd.tick()) == [("c1", "fr5")]
    clock.advance(10)
    assert offers(acd.tick()) == [("c2", "en5")]
    clock.advance(10)
    assert offers(acd.tick()) == [("c3", "gen")]


def test_position_and_estimated_wait() -> None:
    acd, clock = basic(expected_handle_seconds=120)
    acd.enqueue("c0", "sales", skills={"en": 9})
    assert acd.estimated_wait("c0") is None  # nobody staffs the queue
    acd.login("a1", ready=True)
    acd.login("a2", ready=True)
    for i in range(1, 4):
        clock.advance(1)
        acd.enqueue(f"c{i}", "sales", skills={"en": 9})  # nobody is skilled enough: they wait
    assert [acd.position(f"c{i}") for i in range(4)] == [1, 2, 3, 4]
    assert [c.call_id for c in acd.waiting_calls("sales")] == ["c0", "c1", "c2", "c3"]
    assert acd.estimated_wait("c3") == pytest.approx(4 * 120 / 2)
    assert acd.estimated_wait_new("sales") == pytest.approx(5 * 120 / 2)
    acd.enqueue("short", "sales")
    acd.answered("short")
    clock.advance(60)
    acd.hangup("short")  # a 60 s call pulls the smoothed handle time down
    assert acd.estimated_wait("c3") < 4 * 120 / 2


def test_snapshot_restores_order_and_agent_states() -> None:
    acd, clock = basic(wrap_up=30)
    acd.login("a1", ready=True)
    acd.enqueue("talking", "sales")
    acd.answered("talking")
    acd.login("a2", ready=False, reason="lunch")
    for i in range(5):
        acd.enqueue(f"w{i}", "sales", priority=1 if i == 3 else 0)
        clock.advance(2)
    acd.request_callback("w1", "+15550100")
    snapshot = json.loads(json.dumps(acd.snapshot()))

    fresh = Acd(acd.config, clock)
    assert fresh.restore(snapshot).decisions == []
    assert [c.call_id for c in fresh.waiting_calls("sales")] == ["w3", "w0", "w1", "w2", "w4"]
    assert fresh.call("w1").callback_number == "+15550100"
    assert fresh.agent("a1").state is AgentState.ON_CALL
    assert (fresh.agent("a2").state, fresh.agent("a2").reason) == (AgentState.NOT_READY, "lunch")
    fresh.hangup("talking")
    assert fresh.agent("a1").state is AgentState.WRAP_UP
    assert offers(fresh.ready("a1")) == [("w3", "a1")]
    assert offers(fresh.login("a3", ready=True)) == [("w0", "a3")]


def test_a_blind_transfer_ends_the_agents_part_only_for_a_talking_call() -> None:
    acd, clock = basic(wrap_up=5)
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales")
    with pytest.raises(WrongCallState):
        acd.transfer_out("c1")  # ringing, not talking
    acd.answered("c1")
    clock.advance(30)
    fx = acd.transfer_out("c1")
    ended = [e for e in fx.events if isinstance(e, CallEnded)]
    assert [(e.call_id, e.agent_id, e.outcome, e.talk_seconds) for e in ended] == [("c1", "a1", "transferred", 30)]
    assert acd.agent("a1").state is AgentState.WRAP_UP and acd.agent("a1").call_id is None
    with pytest.raises(UnknownCall):
        acd.call("c1")  # the caller is queued again by whoever transfers, under the same id
    acd.login("a3", ready=True)
    acd.enqueue("c1", "general")
    assert acd.waiting("general") == 0 and acd.call("c1").agent_id == "a3"

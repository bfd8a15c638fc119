"""Rebuilding the ACD after a restart from channel variables and the event log (pure planning)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.agents import AgentState
from acd.calls import Call
from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.decisions import Offer, OriginateCallback
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallEnded,
    CallOffered,
    CallQueued,
    ConsultEnded,
    ConsultStarted,
)
from acd.readopt import BadCallVariables, ChannelCall, channel_variables, parse_channel, plan_restore
from asterisk_conf.dialstring import callback_number
from ivr.caller import CallerData

CONFIG = AcdConfig(
    queues=(QueueConfig("support", wrap_up_seconds=30.0),),
    agents=tuple(AgentConfig(a, phone=f"PJSIP/{a}", queues=("support",)) for a in ("a1", "a2", "a3", "a4")),
)
NOW = 1000.0

texts = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\0"), max_size=12)


@given(
    call_id=texts.filter(bool), priority=st.integers(-5, 5), enter=st.floats(0, 2e9, allow_nan=False),
    skills=st.dictionaries(st.text("abcxyz", min_size=1, max_size=5), st.integers(1, 10), max_size=3),
    intent=st.none() | texts, ivr=st.dictionaries(texts, texts, max_size=3),
    callback_to=st.none() | texts | st.from_regex(r"\+?[0-9]{3,20}", fullmatch=True),
)
def test_a_call_written_on_its_channel_reads_back_the_same(
    call_id: str, priority: int, enter: float, skills: dict[str, int], intent: str | None,
    ivr: dict[str, str], callback_to: str | None,
) -> None:
    call = Call(call_id=call_id, queue="support", priority=priority, skills=tuple(sorted(skills.items())),
                enter_time=enter, seq=1,
                caller=CallerData(intent=intent, ivr_data=tuple(sorted(ivr.items())), customer_code="100008"))
    variables = channel_variables(call, callback_to)
    assert all("\n" not in v and "\r" not in v for _, v in variables)
    found = parse_channel("Local/1@x;2", dict(variables))
    assert found is not None
    assert (found.call_id, found.queue, found.priority, found.enter_time) == (call_id, "support", priority, enter)
    # Only a number we may dial comes back as a call-back target, whatever the channel carries.
    assert found.callback_to == callback_number(callback_to)
    acd = Acd(CONFIG, clock=lambda: NOW)
    acd.restore(plan_restore([found], [], CONFIG, NOW).snapshot)
    restored = acd.call(call_id)
    assert (restored.skills, restored.caller.intent, restored.caller.ivr_data, restored.caller.customer_code) == \
        (call.skills, intent, call.caller.ivr_data, "100008")


# What a node wrote on a waiting caller's channel before the caller's data travelled as one value.
OLDER_NODE_CALL_DATA = (
    '{"skills":[["en",3]],"tier":"gold","customer_id":"17","customer_code":"100008","intent":"billing",'
    '"ani":"+14155550101","ivr_data":[["order","42"]],"unidentified":false,"callback_to":"+14155550101"}'
)


def test_a_call_an_older_node_left_on_its_channel_is_re_adopted_with_its_caller() -> None:
    variables = {"CC_CALL_ID": "c1", "CC_QUEUE": "support", "CC_ENTER_TIME": "990.0", "CC_PRIORITY": "2",
                 "CC_CALL_DATA": OLDER_NODE_CALL_DATA}
    found = parse_channel("PJSIP/trunk-00000001", variables)
    assert found is not None and found.callback_to == "+14155550101"
    acd = Acd(CONFIG, clock=lambda: NOW)
    acd.restore(plan_restore([found], [], CONFIG, NOW).snapshot)
    call = acd.call("c1")
    assert (call.skills, call.priority, call.enter_time) == ((("en", 3),), 2, 990.0)
    assert call.caller == CallerData(ani="+14155550101", customer_id="17", customer_code="100008", tier="gold",
                                     intent="billing", ivr_data=(("order", "42"),))
    # This node writes the same keys, so an older node re-adopts its calls as well.
    written = dict(channel_variables(call, found.callback_to))["CC_CALL_DATA"]
    assert json.loads(written) == json.loads(OLDER_NODE_CALL_DATA)


def test_channels_of_others_are_ignored_and_broken_ones_refused() -> None:
    assert parse_channel("PJSIP/a1-0001", {"OTHER": "x"}) is None
    with pytest.raises(BadCallVariables):
        parse_channel("Local/1@x;2", {"CC_CALL_ID": "c1", "CC_QUEUE": "support", "CC_ENTER_TIME": "soon"})


def channel(call_id: str, enter: float, priority: int = 0) -> ChannelCall:
    return ChannelCall(f"Local/{call_id}@in;2", call_id, "support", enter, priority, {"callback_to": "555"})


def queued(call_id: str, enter: float) -> CallQueued:
    return CallQueued(at=enter, call_id=call_id, queue="support", priority=0, enter_time=enter)


def test_waiting_calls_keep_their_order_and_agents_their_last_state() -> None:
    history = [
        AgentStateChanged(at=10.0, agent_id="a1", state="ready", previous="logged_out"),
        AgentStateChanged(at=20.0, agent_id="a1", state="not_ready", previous="ready", reason="lunch"),
        AgentStateChanged(at=30.0, agent_id="a2", state="ready", previous="logged_out"),
        AgentStateChanged(at=40.0, agent_id="a3", state="ready", previous="logged_out"),
        AgentStateChanged(at=50.0, agent_id="a3", state="logged_out", previous="ready"),
        AgentStateChanged(at=60.0, agent_id="ghost", state="ready", previous="logged_out"),
        queued("c1", 100.0), queued("c2", 110.0), queued("c3", 120.0),
    ]
    # Channels come in any order; the plan puts them back in the order they entered.
    plan = plan_restore([channel("c3", 120.0), channel("c1", 100.0), channel("c2", 110.0)], history, CONFIG, NOW)
    acd = Acd(CONFIG, clock=lambda: NOW)
    fx = acd.restore(plan.snapshot)

    assert [c.call_id for c in plan.channels] == ["c1", "c2", "c3"]
    # a2 was ready: it takes the head at once; the others wait in order.
    assert [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer)] == [("c1", "a2")]
    assert [c.call_id for c in acd.waiting_calls("support")] == ["c2", "c3"]
    assert (acd.agent("a1").state, acd.agent("a1").reason) == (AgentState.NOT_READY, "lunch")
    assert acd.agent("a3").state is AgentState.LOGGED_OUT
    assert acd.agent("a4").state is AgentState.LOGGED_OUT
    assert not plan.closed


def test_talking_calls_stay_with_their_agent_and_wrap_up_resumes() -> None:
    history = [
        queued("c1", 100.0),
        AgentStateChanged(at=105.0, agent_id="a1", state="reserved", previous="ready", call_id="c1"),
        CallOffered(at=105.0, call_id="c1", queue="support", agent_id="a1"),
        AgentStateChanged(at=108.0, agent_id="a1", state="on_call", previous="reserved", call_id="c1"),
        CallConnected(at=108.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=8.0),
        AgentStateChanged(at=990.0, agent_id="a2", state="wrap_up", previous="on_call"),
    ]
    plan = plan_restore([channel("c1", 100.0)], history, CONFIG, NOW)
    acd = Acd(CONFIG, clock=lambda: NOW)
    acd.restore(plan.snapshot)

    assert plan.connected == {"c1"}
    view = acd.agent("a1")
    assert (view.state, view.call_id) == (AgentState.ON_CALL, "c1")
    ended = acd.hangup("c1").events
    assert [type(e) for e in ended if isinstance(e, CallEnded)] == [CallEnded]
    # a2's wrap-up (30 s from 990) ends on the timer.
    assert acd.agent("a2").state is AgentState.WRAP_UP and acd.next_deadline() == 1020.0


def test_calls_gone_while_nobody_watched_are_closed_and_callbacks_keep_their_place() -> None:
    history = [
        queued("gone-waiting", 100.0),
        queued("callback", 110.0),
        CallbackRequested(at=115.0, call_id="callback", queue="support", number="5550123", enter_time=110.0),
        queued("gone-talking", 120.0),
        CallConnected(at=130.0, call_id="gone-talking", queue="support", agent_id="a1", wait_seconds=10.0),
        queued("finished", 90.0),
        CallAbandoned(at=95.0, call_id="finished", queue="support", wait_seconds=5.0),
        queued("waiting", 140.0),
        AgentStateChanged(at=200.0, agent_id="a2", state="ready", previous="logged_out"),
    ]
    plan = plan_restore([channel("waiting", 140.0)], history, CONFIG, NOW)
    acd = Acd(CONFIG, clock=lambda: NOW)
    fx = acd.restore(plan.snapshot)

    closed = {e.call_id: e for e in plan.closed if isinstance(e, CallAbandoned | CallEnded)}
    assert set(closed) == {"gone-waiting", "gone-talking"}
    assert isinstance(closed["gone-waiting"], CallAbandoned) and closed["gone-waiting"].wait_seconds == 900.0
    talk = closed["gone-talking"]
    assert isinstance(talk, CallEnded) and talk.agent_id == "a1" and talk.talk_seconds == 870.0
    # The call-back entered before the waiting caller: it is served first, by originating to the customer.
    assert [(type(d), d.call_id) for d in fx.decisions] == [(OriginateCallback, "callback")]
    assert [c.call_id for c in acd.waiting_calls("support")] == ["waiting"]


def test_a_caller_handed_over_by_a_consultation_stays_with_the_colleague() -> None:
    x, c = "X1", "X1-consult-1"
    history = [
        CallQueued(at=1.0, call_id=x, queue="support", priority=0, enter_time=1.0),
        CallConnected(at=2.0, call_id=x, queue="support", agent_id="a1", wait_seconds=1.0),
        ConsultStarted(at=3.0, call_id=x, agent_id="a1", consult_id=c, target_agent="a3"),
        CallQueued(at=3.0, call_id=c, queue="support", priority=0, enter_time=3.0, consult_of=x),
        CallConnected(at=4.0, call_id=c, queue="support", agent_id="a3", wait_seconds=1.0),
        CallEnded(at=5.0, call_id=x, queue="support", agent_id="a1", talk_seconds=3.0, outcome="transferred"),
        ConsultEnded(at=5.0, call_id=x, agent_id="a1", consult_id=c, outcome="completed"),
    ]
    # The caller's channel still carries the call it was queued with.
    plan = plan_restore([ChannelCall("PJSIP/trunk-1", x, "support", 1.0, 0, {})], history, CONFIG, now=10.0)
    (record,) = plan.snapshot["calls"]
    assert (record["call_id"], record["status"], record["agent_id"]) == (c, "connected", "a3")
    assert plan.connected == {c} and plan.closed == []

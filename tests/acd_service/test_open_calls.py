"""What the event log leaves open, folded from a snapshot plus the tail, is what folding the whole log gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallEnded,
    CallOffered,
    CallQueued,
    ConsultEnded,
)
from acd.open_calls import OpenCalls, UnreadableOpenCalls
from acd.readopt import ChannelCall, plan_restore
from bus.events import DomainEvent
from ivr.caller import CallerData

CONFIG = AcdConfig(
    queues=(QueueConfig("support", wrap_up_seconds=30.0), QueueConfig("sales")),
    agents=tuple(AgentConfig(a, phone=f"PJSIP/{a}", queues=("support", "sales")) for a in ("a1", "a2", "a3")),
)
NOW = 10_000.0
CALLS = ("c1", "c2", "c3", "c4", "c5", "c6")
AGENTS = ("a1", "a2", "a3", "ghost")
STATES = ("ready", "not_ready", "reserved", "on_call", "wrap_up", "logged_out")

calls = st.sampled_from(CALLS)
queues = st.sampled_from(("support", "sales", "gone"))
times = st.floats(0, 5000, allow_nan=False)
callers = st.builds(CallerData, customer_code=st.none() | st.sampled_from(("100008", "200001")),
                    intent=st.none() | st.sampled_from(("billing", "tech")))

events = st.one_of(
    st.builds(CallQueued, at=times, call_id=calls, queue=queues, priority=st.integers(0, 3), enter_time=times,
              caller=callers, required_skills=st.just((("billing", 3),)) | st.just(())),
    st.builds(CallbackRequested, at=times, call_id=calls, queue=queues, number=st.sampled_from(("5550123", "5550199")),
              enter_time=times),
    st.builds(CallConnected, at=times, call_id=calls, queue=queues, agent_id=st.sampled_from(AGENTS),
              wait_seconds=st.floats(0, 100)),
    st.builds(CallEnded, at=times, call_id=calls, queue=queues, agent_id=st.sampled_from(AGENTS),
              talk_seconds=st.floats(0, 100)),
    st.builds(CallAbandoned, at=times, call_id=calls, queue=queues, wait_seconds=st.floats(0, 100)),
    st.builds(AgentStateChanged, at=times, agent_id=st.sampled_from(AGENTS), state=st.sampled_from(STATES),
              previous=st.sampled_from(STATES), call_id=st.none() | calls),
    st.builds(ConsultEnded, at=times, call_id=calls, agent_id=st.sampled_from(AGENTS), consult_id=calls,
              outcome=st.sampled_from(("completed", "completed", "cancelled"))),
    st.builds(CallOffered, at=times, call_id=calls, queue=queues, agent_id=st.sampled_from(AGENTS)),  # not folded
)
channels = st.lists(st.builds(ChannelCall, channel=st.sampled_from(("PJSIP/t-1", "PJSIP/t-2", "PJSIP/t-3")),
                              call_id=calls, queue=queues, enter_time=times, priority=st.integers(0, 3),
                              data=st.just({}), agent_line=st.none() | st.just("PJSIP/a1-1")), max_size=4)


def through_storage(state: OpenCalls) -> OpenCalls:
    """The state as a stored snapshot reads it back: through JSON text."""
    return OpenCalls.from_record(json.loads(json.dumps(state.to_record())))


@settings(max_examples=300, deadline=None)
@given(history=st.lists(events, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=3), live=channels)
def test_a_snapshot_plus_the_tail_is_the_whole_log(history: list[DomainEvent], cuts: list[int],
                                                  live: list[ChannelCall]) -> None:
    whole = OpenCalls().fold(history)
    # Snapshots taken at any positions, each folded on from the one before, as passes of the keeper do.
    state, done = OpenCalls(), 0
    for cut in sorted(min(c, len(history)) for c in cuts):
        state = through_storage(state.fold(history[done:cut]))
        done = cut
    state.fold(history[done:])

    assert state.to_record() == whole.to_record()
    assert plan_restore(live, state, CONFIG, NOW) == plan_restore(live, history, CONFIG, NOW)


def test_the_snapshot_keeps_only_what_is_open() -> None:
    history: list[DomainEvent] = []
    for i in range(1000):
        x, consult = f"X{i}", f"X{i}-consult"
        history += [
            CallQueued(at=i, call_id=x, queue="support", priority=0, enter_time=i),
            CallConnected(at=i, call_id=x, queue="support", agent_id="a1", wait_seconds=0.0),
            CallQueued(at=i, call_id=consult, queue="support", priority=0, enter_time=i, consult_of=x),
            CallConnected(at=i, call_id=consult, queue="support", agent_id="a2", wait_seconds=0.0),
            CallEnded(at=i, call_id=x, queue="support", agent_id="a1", talk_seconds=1.0, outcome="transferred"),
            ConsultEnded(at=i, call_id=x, agent_id="a1", consult_id=consult, outcome="completed"),
            CallEnded(at=i, call_id=consult, queue="support", agent_id="a2", talk_seconds=1.0),
        ]
    history.append(CallQueued(at=2000.0, call_id="open", queue="support", priority=0, enter_time=2000.0))
    state = OpenCalls().fold(history)

    assert list(state.queued) == ["open"] and not state.connected and not state.handed_over
    assert len(json.dumps(state.to_record())) < 1000  # a thousand transfers later, still one open call


def test_a_handed_over_caller_is_followed_while_the_consultation_call_is_open() -> None:
    state = OpenCalls().fold([
        CallQueued(at=1.0, call_id="X", queue="support", priority=0, enter_time=1.0),
        CallQueued(at=3.0, call_id="C", queue="support", priority=0, enter_time=3.0, consult_of="X"),
        CallEnded(at=5.0, call_id="X", queue="support", agent_id="a1", talk_seconds=3.0, outcome="transferred"),
        ConsultEnded(at=5.0, call_id="X", agent_id="a1", consult_id="C", outcome="completed"),
    ])
    assert through_storage(state).current_call("X") == "C"


@pytest.mark.parametrize("record", [
    {"version": 99},
    {"version": 1, "queued": [], "callbacks": {}, "connected": [], "agents": []},
    {"version": 1, "queued": [{"type": "CallEnded", "at": 1.0, "call_id": "c", "queue": "q", "agent_id": None,
                               "talk_seconds": 1.0}], "callbacks": {}, "connected": [], "agents": [],
     "handed_over": {}},
    {"version": 1, "queued": [{"type": "NoSuchEvent"}], "callbacks": {}, "connected": [], "agents": [],
     "handed_over": {}},
])
def test_a_record_that_is_not_a_snapshot_is_refused(record: dict[str, object]) -> None:
    with pytest.raises(UnreadableOpenCalls):
        OpenCalls.from_record(record)

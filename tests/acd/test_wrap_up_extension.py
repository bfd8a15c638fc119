"""The wrap-up's end is told with the state, and the agent may stretch it within the queue's limit."""

import pytest
from acd_helpers import FakeClock, agents, make_acd

from acd.agents import AgentState
from acd.config import ConfigError
from acd.core import Acd
from acd.errors import WrongAgentState
from acd.events import AgentStateChanged


def wrapping_up(**queue: object) -> tuple[Acd, FakeClock]:
    acd, clock = make_acd({"queues": [{"name": "sales", "wrap_up_seconds": 60, **queue}],
                           "agents": agents(("a1", {"en": 5}, ["sales"]))})
    acd.login("a1", ready=True)
    acd.enqueue("c1", "sales")
    acd.answered("c1")
    return acd, clock


def until_of(fx) -> list[float | None]:
    return [e.until for e in fx.events if isinstance(e, AgentStateChanged)]


def test_the_wrap_up_state_says_when_it_ends_and_extending_moves_that_end_up_to_the_limit() -> None:
    acd, clock = wrapping_up(wrap_up_limit_seconds=100)
    start = clock()
    assert until_of(acd.hangup("c1")) == [start + 60]
    clock.advance(50)
    assert until_of(acd.extend_wrap_up("a1")) == [start + 90]
    assert until_of(acd.extend_wrap_up("a1")) == [start + 100]  # capped at the queue's limit
    with pytest.raises(WrongAgentState):
        acd.extend_wrap_up("a1")
    clock.advance(45)  # past the first end: the extension holds
    assert acd.tick().events == []
    assert acd.agent("a1").state is AgentState.WRAP_UP
    clock.advance(5)
    assert [e.state for e in acd.tick().events if isinstance(e, AgentStateChanged)] == ["ready"]
    with pytest.raises(WrongAgentState):
        acd.extend_wrap_up("a1")  # not wrapping up any more


def test_by_default_an_agent_may_double_the_wrap_up() -> None:
    acd, clock = wrapping_up()
    start = clock()
    acd.hangup("c1")
    for _ in range(5):
        try:
            acd.extend_wrap_up("a1")
        except WrongAgentState:
            break
    assert acd.agent("a1").state is AgentState.WRAP_UP
    clock.advance(119)
    acd.tick()
    assert acd.agent("a1").state is AgentState.WRAP_UP
    clock.advance(1)
    acd.tick()
    assert acd.agent("a1").state is AgentState.READY and clock() == start + 120


def test_a_limit_shorter_than_the_wrap_up_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="wrap_up_limit_seconds"):
        wrapping_up(wrap_up_limit_seconds=30)

"""Blind transfer of a talking call to another queue, end to end: simulator, shipped dialplan, service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from talk_rig import Rig, rig_fixture, talking_to_a1

from acd.agents import AgentState
from acd.control import AgentControlRefused
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallQueued,
)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async for r in rig_fixture():
        yield r


async def test_transferred_call_waits_in_the_new_queue_and_reaches_its_agent(rig: Rig) -> None:
    call, _ = await talking_to_a1(rig)
    first_enter = rig.of(CallQueued, call_id=call)[0]
    await rig.service.transfer_to_queue(call, "a1", "sales")

    ended = rig.of(CallEnded, call_id=call)
    assert [(e.agent_id, e.outcome) for e in ended if isinstance(e, CallEnded)] == [("a1", "transferred")]
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP
    await rig.until(lambda: rig.of(CallQueued, call_id=call, queue="sales"), "the call queued in sales")
    requeued = rig.of(CallQueued, call_id=call, queue="sales")[0]
    assert isinstance(requeued, CallQueued) and isinstance(first_enter, CallQueued)
    assert requeued.enter_time > first_enter.enter_time  # a fresh wait
    assert (requeued.caller.customer_id, requeued.caller.customer_code, requeued.caller.tier,
            requeued.caller.intent) == (
        "c-7", "100008", "gold", "billing")
    assert rig.acd.call(call).caller.ivr_data == (("order", "42"),)

    # a1 wraps the first part up as after any call, while the caller waits for sales.
    await rig.service.dispose(call, "a1", "transferred", "")
    assert rig.of(CallDisposed, call_id=call, agent_id="a1")
    assert rig.acd.agent("a1").state is AgentState.READY
    states = [e.state for e in rig.of(AgentStateChanged, agent_id="a1") if isinstance(e, AgentStateChanged)]
    assert states == ["ready", "reserved", "on_call", "wrap_up", "ready"]

    await rig.service.set_ready("a2")
    await rig.until(lambda: rig.of(CallConnected, call_id=call, agent_id="a2"), "a2 to answer")
    offered = rig.of(CallOffered, call_id=call, agent_id="a2")
    assert offered and isinstance(offered[0], CallOffered) and offered[0].queue == "sales"
    await rig.until(lambda: rig.of(CallEnded, call_id=call, agent_id="a2"), "the talk with a2 to end")
    last = rig.of(CallEnded, call_id=call)[-1]
    assert isinstance(last, CallEnded) and (last.queue, last.outcome) == ("sales", "answered")
    assert not rig.of(CallAbandoned)  # the caller was never dropped
    await rig.service.dispose(call, "a2", "sold", "")
    assert rig.of(CallDisposed, call_id=call, agent_id="a2")


async def test_only_the_talking_agent_may_transfer_and_only_to_a_known_queue(rig: Rig) -> None:
    call, _ = await talking_to_a1(rig)
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue(call, "a2", "sales")
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue(call, "a1", "nowhere")
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue("no-such-call", None, "sales")
    assert rig.acd.agent("a1").state is AgentState.ON_CALL
    await rig.service.transfer_to_queue(call, None, "sales")  # a supervisor may move any talking call
    await rig.until(lambda: rig.of(CallQueued, call_id=call, queue="sales"), "the call queued in sales")

"""Hold, consultation (attended transfer) and blind transfer to a named agent, end to end: simulator running
the shipped dialplan, FastAGI, AMI and the ACD service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from talk_rig import Rig, rig_fixture, start_rig, talking_to_a1

from acd.agents import AgentState
from acd.control import AgentControlRefused
from acd.events import (
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    CallQueued,
    CallResumed,
    ConsultEnded,
    ConsultStarted,
)
from cti.ami.events import DialStarted
from cti.sim.channel import Channel
from cti.sim.config import PhoneBehaviour, PhoneOutcome


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async for r in rig_fixture():
        yield r


def channel(rig: Rig, name: str) -> Channel | None:
    chan = rig.sim.pbx.find(name)
    return None if chan is None or chan.gone else chan


def line_of(rig: Rig, agent: str) -> str:
    """The newest channel dialled to ``agent``'s phone."""
    dials = [e.dest_channel for e in rig.of(DialStarted) if isinstance(e, DialStarted)
             and e.dest_channel.startswith(f"PJSIP/{agent}-")]
    assert dials, f"nobody dialled {agent}"
    return dials[-1]


def bridged(rig: Rig, one: str, other: str) -> bool:
    a, b = channel(rig, one), channel(rig, other)
    return a is not None and b is not None and a.bridge is not None and a.bridge is b.bridge


def held(rig: Rig, caller: str, line: str) -> bool:
    c, a = channel(rig, caller), channel(rig, line)
    return (c is not None and a is not None and c.bridge is None and a.bridge is None
            and c.context == "callcenter-talk" and c.application == "MusicOnHold"
            and a.context == "callcenter-held" and a.application == "Wait")


async def consulting_a3(rig: Rig, call: str) -> tuple[str, str]:
    """a1 consults a3, who answers: (the consultation's call id, a3's line)."""
    await rig.service.set_ready("a3")
    await rig.service.consult(call, "a1", target_agent="a3")
    consult = rig.of(ConsultStarted, call_id=call)[0].consult_id  # type: ignore[attr-defined]
    await rig.until(lambda: rig.of(CallConnected, call_id=consult, agent_id="a3"), "a3 to answer")
    return consult, line_of(rig, "a3")


async def test_hold_gives_the_caller_music_and_resume_bridges_caller_and_agent_again(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    line = line_of(rig, "a1")
    assert bridged(rig, caller, line)

    await rig.service.hold(call, "a1")
    await rig.until(lambda: held(rig, caller, line), "caller in music, agent's line quiet")
    assert [e.agent_id for e in rig.of(CallHeld, call_id=call)] == ["a1"]
    assert rig.acd.agent("a1").state is AgentState.ON_CALL  # holding is part of the talk
    with pytest.raises(AgentControlRefused):
        await rig.service.hold(call, "a1")

    await rig.service.resume(call, "a1")
    await rig.until(lambda: bridged(rig, caller, line), "caller and agent bridged again")
    (resumed,) = rig.of(CallResumed, call_id=call)
    assert isinstance(resumed, CallResumed) and resumed.held_seconds > 0
    with pytest.raises(AgentControlRefused):
        await rig.service.resume(call, "a1")

    # Held and bridged again as often as the agent likes; the talk ends when the agent's phone hangs up.
    await rig.service.hold(call, "a1")
    await rig.until(lambda: held(rig, caller, line), "held a second time")
    await rig.service.resume(call, "a1")
    await rig.until(lambda: bridged(rig, caller, line), "bridged a second time")
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(line), 16)
    await rig.until(lambda: rig.of(CallEnded, call_id=call), "the talk to end")
    (ended,) = rig.of(CallEnded, call_id=call)
    assert isinstance(ended, CallEnded) and (ended.agent_id, ended.outcome) == ("a1", "answered")
    await rig.until(lambda: channel(rig, caller) is None, "the caller to be let go")
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP
    assert not rig.of(CallAbandoned)


async def test_a_caller_hanging_up_on_hold_ends_the_talk_and_frees_the_agents_line(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    line = line_of(rig, "a1")
    await rig.service.hold(call, "a1")
    await rig.until(lambda: held(rig, caller, line), "on hold")
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(caller), 16)
    await rig.until(lambda: rig.of(CallEnded, call_id=call), "the talk to end")
    await rig.until(lambda: channel(rig, line) is None, "the agent's line to be hung up")
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP


async def test_the_agents_line_going_while_the_caller_is_held_queues_the_caller_again(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    line = line_of(rig, "a1")
    await rig.service.hold(call, "a1")
    await rig.until(lambda: held(rig, caller, line), "on hold")
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(line), 16)
    await rig.until(lambda: len(rig.of(CallQueued, call_id=call)) == 2, "the caller to queue again")
    ended = [(e.agent_id, e.outcome) for e in rig.of(CallEnded, call_id=call) if isinstance(e, CallEnded)]
    assert ended == [("a1", "transferred")]  # a1 wraps up its part
    await rig.service.set_ready("a3")
    await rig.until(lambda: rig.of(CallConnected, call_id=call, agent_id="a3"), "a3 to take the caller")
    assert channel(rig, caller) is not None and not rig.of(CallAbandoned)


async def test_a_caller_leaving_during_a_consultation_ends_it(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    a1_line = line_of(rig, "a1")
    _consult, a3_line = await consulting_a3(rig, call)
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(caller), 16)
    await rig.until(lambda: channel(rig, a1_line) is None and channel(rig, a3_line) is None,
                    "both agents' lines to be let go")
    await rig.until(lambda: rig.of(ConsultEnded, call_id=call), "the consultation to end")
    assert [e.outcome for e in rig.of(ConsultEnded, call_id=call)] == ["cancelled"]
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP  # it talked with the caller
    assert rig.acd.agent("a3").state is AgentState.READY  # nothing to wrap up
    with pytest.raises(AgentControlRefused):
        await rig.service.complete_consult(call, "a1")


async def test_the_consulting_agents_line_going_queues_the_held_caller_again(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    a1_line = line_of(rig, "a1")
    _consult, _a3_line = await consulting_a3(rig, call)
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(a1_line), 16)
    await rig.until(lambda: len(rig.of(CallQueued, call_id=call)) == 2, "the caller to queue again")
    assert [e.outcome for e in rig.of(ConsultEnded, call_id=call)] == ["failed"]
    # a3, free again with nothing to wrap up, is offered the caller
    await rig.until(lambda: rig.of(CallConnected, call_id=call, agent_id="a3"), "a3 to take the caller")
    assert channel(rig, caller) is not None and not rig.of(CallAbandoned)


async def test_consulting_a_colleague_then_completing_hands_the_caller_over(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    a1_line = line_of(rig, "a1")
    await rig.service.set_ready("a3")
    await rig.service.consult(call, "a1", target_agent="a3")

    (started,) = rig.of(ConsultStarted, call_id=call)
    assert isinstance(started, ConsultStarted) and started.target_agent == "a3" and started.agent_id == "a1"
    consult = started.consult_id
    (offer,) = rig.of(CallOffered, call_id=consult)
    # the colleague's pop carries the caller's record
    assert isinstance(offer, CallOffered) and offer.agent_id == "a3" and offer.consult_of == call
    assert (offer.caller.customer_id, offer.caller.customer_code, offer.caller.ivr_data) == (
        "c-7", "100008", (("order", "42"),))
    assert rig.of(CallHeld, call_id=call)
    await rig.until(lambda: rig.of(CallConnected, call_id=consult, agent_id="a3"), "a3 to answer a1")
    a3_line = line_of(rig, "a3")
    await rig.until(lambda: bridged(rig, a1_line, a3_line), "a1 and a3 talking")
    caller_chan = channel(rig, caller)
    assert caller_chan is not None and caller_chan.application == "MusicOnHold"

    await rig.service.complete_consult(call, "a1")
    await rig.until(lambda: bridged(rig, caller, a3_line), "caller and a3 talking")
    await rig.until(lambda: channel(rig, a1_line) is None, "a1's line to be hung up")
    assert [e.outcome for e in rig.of(ConsultEnded, call_id=call)] == ["completed"]
    ended = [(e.agent_id, e.outcome) for e in rig.of(CallEnded, call_id=call) if isinstance(e, CallEnded)]
    assert ended == [("a1", "transferred")]
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP
    assert rig.acd.agent("a3").state is AgentState.ON_CALL

    # a3 can hold the caller it was handed too; the talk ends as any other.
    await rig.service.hold(consult, "a3")
    await rig.until(lambda: held(rig, caller, a3_line), "the handed-over caller on hold")
    await rig.service.resume(consult, "a3")
    await rig.until(lambda: bridged(rig, caller, a3_line), "bridged again")
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(caller), 16)
    await rig.until(lambda: rig.of(CallEnded, call_id=consult), "the handed-over talk to end")
    (last,) = rig.of(CallEnded, call_id=consult)
    assert isinstance(last, CallEnded) and (last.agent_id, last.outcome) == ("a3", "answered")
    await rig.until(lambda: channel(rig, a3_line) is None, "a3's line to be hung up")
    await rig.service.dispose(consult, "a3", "resolved", "took it over from a1")
    await rig.service.dispose(call, "a1", "transferred", "")
    assert not rig.of(CallAbandoned)


async def test_cancelling_a_consultation_brings_the_agent_back_to_the_caller(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    a1_line = line_of(rig, "a1")
    consult, _a3_line = await consulting_a3(rig, call)
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue(call, "a1", "sales")  # one thing at a time

    await rig.service.cancel_consult(call, "a1")
    await rig.until(lambda: bridged(rig, caller, a1_line), "a1 back with the caller")
    assert [e.outcome for e in rig.of(ConsultEnded, call_id=call)] == ["cancelled"]
    assert rig.of(CallResumed, call_id=call)
    await rig.until(lambda: rig.of(CallEnded, call_id=consult), "a3's part to end")
    (ended,) = rig.of(CallEnded, call_id=consult)
    assert isinstance(ended, CallEnded) and (ended.agent_id, ended.outcome) == ("a3", "consulted")
    assert rig.acd.agent("a3").state is AgentState.READY  # nothing to wrap up: the caller stayed with a1
    assert rig.acd.agent("a1").state is AgentState.ON_CALL
    assert rig.acd.call(call).agent_id == "a1"


async def test_a_colleague_not_answering_ends_the_consultation_and_the_caller_is_back() -> None:
    rig = await start_rig({"PJSIP/a3": PhoneBehaviour(PhoneOutcome.NO_ANSWER)})
    try:
        call, caller = await talking_to_a1(rig)
        a1_line = line_of(rig, "a1")
        await rig.service.set_ready("a3")
        await rig.service.consult(call, "a1", target_agent="a3")
        await rig.until(lambda: rig.of(ConsultEnded, call_id=call), "the consultation to fail")
        assert [e.outcome for e in rig.of(ConsultEnded, call_id=call)] == ["failed"]
        await rig.until(lambda: bridged(rig, caller, a1_line), "a1 back with the caller")
        assert rig.acd.agent("a3").state is AgentState.NOT_READY  # a missed ring, as for any call
        assert rig.acd.agent("a1").state is AgentState.ON_CALL
    finally:
        await rig.close()


async def test_consulting_a_queue_waits_for_whoever_it_offers_the_consultation_to(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    await rig.service.consult(call, "a1", queue="sales")
    consult = rig.of(ConsultStarted, call_id=call)[0].consult_id  # type: ignore[attr-defined]
    a1_line = line_of(rig, "a1")
    await rig.until(lambda: (c := channel(rig, a1_line)) is not None and c.context == "callcenter-consult",
                    "a1 waiting in sales")
    await rig.service.set_ready("a2")
    await rig.until(lambda: rig.of(CallConnected, call_id=consult, agent_id="a2"), "a2 to answer a1")
    a2_line = line_of(rig, "a2")
    await rig.until(lambda: bridged(rig, a1_line, a2_line), "a1 and a2 talking")
    await rig.service.complete_consult(call, "a1")
    await rig.until(lambda: bridged(rig, caller, a2_line), "caller and a2 talking")


async def test_blind_transfer_to_a_named_agent(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_agent(call, "a1", "a3")  # a3 is not ready
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_agent(call, "a1", "a1")
    await rig.service.set_ready("a3")
    await rig.service.transfer_to_agent(call, "a1", "a3")
    await rig.until(lambda: rig.of(CallConnected, call_id=call, agent_id="a3"), "a3 to answer")
    assert bridged(rig, caller, line_of(rig, "a3"))
    ended = [(e.agent_id, e.outcome) for e in rig.of(CallEnded, call_id=call) if isinstance(e, CallEnded)]
    assert ended == [("a1", "transferred")]


async def test_only_the_talking_agent_or_a_supervisor_may_hold_or_consult(rig: Rig) -> None:
    call, _ = await talking_to_a1(rig)
    await rig.service.set_ready("a3")
    for attempt in (rig.service.hold(call, "a3"), rig.service.consult(call, "a3", queue="sales"),
                    rig.service.complete_consult(call, "a1"), rig.service.cancel_consult(call, "a1"),
                    rig.service.consult(call, "a1"), rig.service.consult(call, "a1", queue="nowhere"),
                    rig.service.hold("no-such-call", None)):
        with pytest.raises(AgentControlRefused):
            await attempt
    await rig.service.hold(call, None)  # a supervisor may
    assert rig.of(CallHeld, call_id=call)




async def test_a_handed_over_caller_stays_with_the_colleague_across_a_restart(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    consult, a3_line = await consulting_a3(rig, call)
    await rig.service.complete_consult(call, "a1")
    await rig.until(lambda: bridged(rig, caller, a3_line), "caller and a3 talking")

    await rig.restart()
    assert rig.acd.call(consult).agent_id == "a3"
    await asyncio.sleep(0.5)
    assert bridged(rig, caller, a3_line)  # not queued again, not offered to anyone
    assert len(rig.of(CallOffered, call_id=consult)) == 1 and not rig.of(CallAbandoned)
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(caller), 16)
    await rig.until(lambda: rig.of(CallEnded, call_id=consult), "the talk to end")
    assert [(e.agent_id, e.outcome) for e in rig.of(CallEnded, call_id=consult)] == [("a3", "answered")]


async def test_a_caller_held_across_a_restart_can_be_resumed(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    line = line_of(rig, "a1")
    await rig.service.hold(call, "a1")
    await rig.until(lambda: held(rig, caller, line), "on hold")
    await rig.restart()
    # The caller's session died with the service; back in our dialplan, the new service finds it held.
    await rig.until(lambda: rig.acd.call(call).held_since is not None, "the new service to see the hold")
    assert channel(rig, line) is not None and rig.acd.call(call).agent_id == "a1"
    await rig.service.resume(call, "a1")
    await rig.until(lambda: bridged(rig, caller, line), "caller and a1 bridged again")


async def test_after_a_restart_the_agent_hanging_up_lets_the_caller_go(rig: Rig) -> None:
    call, caller = await talking_to_a1(rig)
    line = line_of(rig, "a1")
    await rig.restart()
    rig.sim.pbx.request_hangup(rig.sim.pbx.find(line), 16)
    await rig.until(lambda: rig.of(CallEnded, call_id=call), "the talk to end")
    await rig.until(lambda: channel(rig, caller) is None, "the caller to be let go")
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP

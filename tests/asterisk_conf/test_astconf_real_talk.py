"""Hold, resume and a consultation carried out by our ACD service on a real Asterisk (``ASTERISK_BIN``).

The moves our service makes (a Dual Redirect out of the Dial bridge, ``Bridge()`` from a FastAGI session,
a Dial from the agent's line) are Asterisk's to carry out; this checks that a real one does what the
simulator does. Phones are Local channels (``/n``: never optimised away, so their names stay valid).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from real_asterisk import SECRET, free_port, open_edges, running_asterisk

from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.events import CallConnected, CallEnded, CallHeld, CallResumed, ConsultEnded, ConsultStarted
from acd.service import AcdService
from acd.service_settings import AcdServiceSettings
from asterisk_conf.site import SiteConfig
from bus.events import DomainEvent
from cti.agi import AgiServer, AgiSession
from cti.ami.channels import ChannelInfo
from cti.ami.client import AmiClient
from cti.ami.events import DialStarted
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome, OutcomeKind

pytestmark = pytest.mark.asterisk

# An agent's phone: answers at once and stays on the line until hung up.
PHONES = """
[cc-test-phones]
exten => _a[0-9],1,Answer()
 same => n,Wait(300)
 same => n,Hangup()
"""
WAIT = 15.0


class Floor:
    def __init__(self, ami: AmiClient, agi: AgiServer, service: AcdService, events: list[DomainEvent]) -> None:
        self.ami, self.agi, self.service, self.events = ami, agi, service, events

    async def close(self) -> None:
        await self.service.close()
        await self.ami.close()
        await self.agi.close()

    def of(self, kind: type[DomainEvent], **match: object) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in match.items())]

    async def until(self, predicate: Callable[[dict[str, ChannelInfo]], object], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while True:
            channels = {c.channel: c for c in await self.ami.core_show_channels()}
            if predicate(channels):
                return
            if time.monotonic() > deadline:
                seen = [(c.channel, c.context, c.application, c.bridge_id) for c in channels.values()]
                raise AssertionError(f"timed out waiting for {what}; channels: {seen}")
            await asyncio.sleep(0.1)

    def line_of(self, agent: str) -> str:
        lines = [e.dest_channel for e in self.of(DialStarted) if isinstance(e, DialStarted)
                 and e.dest_channel.startswith(f"Local/{agent}@cc-test-phones-")]
        assert lines, f"nobody dialled {agent}"
        return lines[-1]


def together(channels: dict[str, ChannelInfo], one: str, other: str) -> bool:
    a, b = channels.get(one), channels.get(other)
    return a is not None and b is not None and a.bridge_id != "" and a.bridge_id == b.bridge_id


def running(channels: dict[str, ChannelInfo], name: str, context: str, application: str) -> bool:
    chan = channels.get(name)
    return chan is not None and chan.context == context and chan.application == application


async def start_floor(site: SiteConfig) -> Floor:
    """Our FastAGI server, AMI client and ACD service (agents a1, a3 on Local phones) on ``site``."""
    edges = await open_edges(site, timeout=WAIT)
    bus, events, ami, agi = edges.bus, edges.events, edges.ami, edges.agi
    acd = Acd(AcdConfig(
        queues=(QueueConfig("support", wrap_up_seconds=5.0),),
        agents=tuple(AgentConfig(a, phone=f"Local/{a}@cc-test-phones/n", queues=("support",)) for a in ("a1", "a3")),
    ), clock=time.time)
    service = AcdService(acd, bus, ami, agi, settings=AcdServiceSettings(
        announce_every=1000.0, callback_offer_every=0.0, music_slice=5))

    async def inbound(session: AgiSession) -> None:
        await session.answer()
        await service.wait_in_queue(session, IvrOutcome(
            kind=OutcomeKind.QUEUE, call_id=session.uniqueid, caller=CallerData(ani="5551000", unidentified=True),
            queue="support"))

    agi.route("inbound", inbound)
    service.register_routes()
    await service.start()
    return Floor(ami, agi, service, events)


async def talking_to_a1(floor: Floor) -> tuple[str, str, str]:
    """A caller rung in and talking to a1: (call id, caller channel, a1's line)."""
    await floor.service.set_ready("a1")
    await floor.ami.originate("Local/5551000@callcenter-inbound", application="Wait", data="300")
    await floor.until(lambda _: floor.of(CallConnected, agent_id="a1"), "a1 to answer")
    call = floor.of(CallConnected, agent_id="a1")[0].call_id  # type: ignore[attr-defined]
    a1 = floor.line_of("a1")
    caller = next(e.channel for e in floor.of(DialStarted) if isinstance(e, DialStarted) and e.dest_channel == a1)
    assert caller is not None
    await floor.until(lambda ch: together(ch, caller, a1), "caller and a1 bridged by Dial")
    return call, caller, a1


async def consulting_a3(floor: Floor, call: str) -> tuple[str, str]:
    """a1 consults a3, who answers and talks with a1: (the consultation's call id, a3's line)."""
    await floor.service.set_ready("a3")
    await floor.service.consult(call, "a1", target_agent="a3")
    consult = floor.of(ConsultStarted, call_id=call)[0].consult_id  # type: ignore[attr-defined]
    await floor.until(lambda _: floor.of(CallConnected, call_id=consult, agent_id="a3"), "a3 to answer")
    return consult, floor.line_of("a3")


def ended_calls(floor: Floor) -> list[tuple[str, str | None, str]]:
    return [(e.call_id, e.agent_id, e.outcome) for e in floor.of(CallEnded) if isinstance(e, CallEnded)]


@pytest.fixture
async def floor() -> AsyncIterator[Floor]:
    """A real Asterisk with our configuration and the test phones, and our service running against it."""
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    with running_asterisk(site, PHONES):
        running_floor = await start_floor(site)
        try:
            yield running_floor
        finally:
            await running_floor.close()


async def test_hold_resume_and_a_completed_consultation_on_a_real_asterisk(floor: Floor) -> None:
    service = floor.service
    call, caller, a1 = await talking_to_a1(floor)

    await service.hold(call, "a1")
    await floor.until(lambda ch: running(ch, caller, "callcenter-talk", "MusicOnHold")
                      and running(ch, a1, "callcenter-held", "Wait"), "the caller held, a1 quiet")
    assert floor.of(CallHeld, call_id=call)

    await service.resume(call, "a1")
    await floor.until(lambda ch: together(ch, caller, a1), "caller and a1 bridged again")
    assert floor.of(CallResumed, call_id=call)

    consult, a3 = await consulting_a3(floor, call)
    await floor.until(lambda ch: together(ch, a1, a3) and running(ch, caller, "callcenter-talk", "MusicOnHold"),
                      "a1 consulting a3 while the caller holds")

    await service.complete_consult(call, "a1")
    await floor.until(lambda ch: together(ch, caller, a3) and a1 not in ch, "the caller handed to a3, a1's line gone")
    assert [e.outcome for e in floor.of(ConsultEnded, call_id=call)] == ["completed"]  # type: ignore[attr-defined]

    await floor.ami.hangup(a3)
    await floor.until(lambda ch: caller not in ch, "the caller let go after a3 hung up")
    assert ended_calls(floor) == [(call, "a1", "transferred"), (consult, "a3", "answered")]


async def test_a_cancelled_consultation_and_a_caller_leaving_on_hold_on_a_real_asterisk(floor: Floor) -> None:
    call, caller, a1 = await talking_to_a1(floor)
    consult, a3 = await consulting_a3(floor, call)
    await floor.until(lambda ch: together(ch, a1, a3), "a1 consulting a3")

    await floor.service.cancel_consult(call, "a1")
    await floor.until(lambda ch: together(ch, caller, a1) and a3 not in ch, "a1 back with the caller")
    assert [e.outcome for e in floor.of(ConsultEnded, call_id=call)] == ["cancelled"]  # type: ignore[attr-defined]

    await floor.service.hold(call, "a1")
    await floor.until(lambda ch: running(ch, caller, "callcenter-talk", "MusicOnHold"), "on hold again")
    await floor.ami.hangup(caller)
    await floor.until(lambda ch: a1 not in ch, "a1's line hung up after the caller left")
    assert ended_calls(floor) == [(consult, "a3", "consulted"), (call, "a1", "answered")]


async def test_the_agent_hanging_up_lets_the_caller_go_at_once_on_a_real_asterisk(floor: Floor) -> None:
    call, caller, a1 = await talking_to_a1(floor)
    await floor.ami.hangup(a1)  # the Dial ends with result -1 on a real Asterisk
    await floor.until(lambda ch: caller not in ch, "the caller let go (not held in music first)")
    assert ended_calls(floor) == [(call, "a1", "answered")]


async def test_the_consulting_agents_line_going_queues_the_caller_again_on_a_real_asterisk(floor: Floor) -> None:
    call, caller, a1 = await talking_to_a1(floor)
    await consulting_a3(floor, call)
    await floor.ami.hangup(a1)
    # a3, free again with nothing to wrap up, is offered the caller
    await floor.until(lambda _: floor.of(CallConnected, call_id=call, agent_id="a3"), "a3 to take the caller")
    await floor.until(lambda ch: together(ch, caller, floor.line_of("a3")), "caller and a3 bridged")
    assert [e.outcome for e in floor.of(ConsultEnded, call_id=call)] == ["failed"]  # type: ignore[attr-defined]


async def test_a_caller_held_across_a_restart_is_resumed_on_a_real_asterisk() -> None:
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    with running_asterisk(site, PHONES):
        floor: Floor | None = await start_floor(site)
        restarted: Floor | None = None
        try:
            assert floor is not None
            call, caller, a1 = await talking_to_a1(floor)
            await floor.service.hold(call, "a1")
            await floor.until(lambda ch: running(ch, caller, "callcenter-talk", "MusicOnHold"), "on hold")
            history = [e for e in floor.events if not type(e).__module__.startswith("cti")]
            dead, floor = floor, None
            await dead.close()  # the node dies; Asterisk keeps both lines
            restarted = await start_floor(site)
            await restarted.service.readopt(history)
            # The caller's music slice ends, the session is gone: the holding loop asks our 'resume' script,
            # and the new service finds the agent's line still there.
            deadline = time.monotonic() + 40
            while restarted.service.acd.call(call).held_since is None:
                assert time.monotonic() < deadline, "the held caller never came back to the new service"
                await asyncio.sleep(0.2)
            await restarted.service.resume(call, "a1")
            await restarted.until(lambda ch: together(ch, caller, a1), "caller and a1 bridged again")
        finally:
            for running_floor in (floor, restarted):
                if running_floor is not None:
                    await running_floor.close()

"""Blind transfer of a talking call to another queue, end to end: simulator, shipped dialplan, service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from acd.agents import AgentState
from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallQueued,
)
from acd.service import AcdService, AcdServiceSettings
from agent_desktop.services import AgentControlRefused
from callcenter.bus import EventBus
from callcenter.events import DomainEvent
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiConfig
from cti.sim import Simulator, SimulatorConfig
from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome
from ivr.outcome import IvrOutcome, OutcomeKind

SPEED = 20.0
WAIT = 10.0
USER, SECRET = "xfer", "xfer-secret"
TALKS_LONG = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=1.0, talk_time=400.0)
TALKS_SHORT = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=1.0, talk_time=10.0)


class Rig:
    def __init__(self, bus: EventBus, sim: Simulator, ami: AmiClient, agi: AgiServer, acd: Acd,
                 service: AcdService) -> None:
        self.bus, self.sim, self.ami, self.agi, self.acd, self.service = bus, sim, ami, agi, acd, service
        self.events: list[DomainEvent] = []
        bus.add_listener(self.events.append)

    def of(self, kind: type[DomainEvent], **match: object) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in match.items())]

    async def until(self, predicate: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not predicate():
            if time.monotonic() > deadline:
                names = [type(e).__name__ for e in self.events if not type(e).__module__.startswith("cti")]
                raise AssertionError(f"timed out waiting for {what}; ACD events: {names}")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.service.close()
        await self.ami.close()
        await self.sim.stop()
        await self.agi.close()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    bus = EventBus()
    config = AcdConfig(
        queues=(QueueConfig("support", wrap_up_seconds=30.0), QueueConfig("sales", wrap_up_seconds=30.0)),
        agents=(AgentConfig("a1", phone="PJSIP/a1", queues=("support",)),
                AgentConfig("a2", phone="PJSIP/a2", queues=("sales",))),
    )
    ami_holder: list[AmiClient] = []

    async def interrupter(channel: str, agent_id: str) -> None:
        await ami_holder[0].redirect(channel, "callcenter-connect", agent_id, 1)

    agi = AgiServer("127.0.0.1", 0, interrupter=interrupter, shutdown_grace=0.5)
    await agi.start()
    sim = Simulator(SimulatorConfig(
        ami_port=0, ami_user=USER, ami_secret=SECRET, agi_url=f"agi://127.0.0.1:{agi.port}/inbound",
        speed=SPEED, phones={"PJSIP/a1": TALKS_LONG, "PJSIP/a2": TALKS_SHORT},
        default_phone=PhoneBehaviour(answer_after=1.0), prompt_seconds=1.0, shipped_dialplan=True,
    ))
    await sim.start()
    ami = AmiClient(AmiConfig(port=sim.ami_port, username=USER, secret=SECRET, ping_interval=60.0), bus,
                    clock=sim.clock.now)
    ami_holder.append(ami)
    await ami.connect(timeout=WAIT)
    acd = Acd(config, clock=sim.clock.now)
    service = AcdService(acd, bus, ami, agi, clock=sim.clock.now, time_scale=SPEED,
                         settings=AcdServiceSettings(announce_every=1000.0, callback_offer_every=0.0))

    async def inbound(session: AgiSession) -> None:
        await session.answer()
        await service.wait_in_queue(session, IvrOutcome(
            kind=OutcomeKind.QUEUE, call_id=session.uniqueid, ani=session.env.caller_number or "",
            queue="support", customer_id="c-7", customer_code="100008", tier="gold", intent="billing",
            ivr_data=(("order", "42"),), unidentified=False))

    agi.route("inbound", inbound)
    service.register_routes()
    await service.start()
    r = Rig(bus, sim, ami, agi, acd, service)
    yield r
    await r.close()


async def talking_to_a1(rig: Rig) -> str:
    await rig.service.set_ready("a1")
    caller = await rig.sim.place_inbound_call("5551000", "5550001", script=CallerScript())
    await rig.until(lambda: rig.of(CallConnected, agent_id="a1"), "a1 to answer")
    connected = rig.of(CallConnected, agent_id="a1")[0]
    assert isinstance(connected, CallConnected) and rig.sim.pbx.find(caller) is not None
    return connected.call_id


async def test_transferred_call_waits_in_the_new_queue_and_reaches_its_agent(rig: Rig) -> None:
    call = await talking_to_a1(rig)
    first_enter = rig.of(CallQueued, call_id=call)[0]
    await rig.service.transfer_to_queue(call, "a1", "sales")

    ended = rig.of(CallEnded, call_id=call)
    assert [(e.agent_id, e.outcome) for e in ended if isinstance(e, CallEnded)] == [("a1", "transferred")]
    assert rig.acd.agent("a1").state is AgentState.WRAP_UP
    await rig.until(lambda: rig.of(CallQueued, call_id=call, queue="sales"), "the call queued in sales")
    requeued = rig.of(CallQueued, call_id=call, queue="sales")[0]
    assert isinstance(requeued, CallQueued) and isinstance(first_enter, CallQueued)
    assert requeued.enter_time > first_enter.enter_time  # a fresh wait
    assert (requeued.customer_id, requeued.customer_code, requeued.tier, requeued.intent) == (
        "c-7", "100008", "gold", "billing")
    assert rig.acd.call(call).ivr_data == (("order", "42"),)

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
    call = await talking_to_a1(rig)
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue(call, "a2", "sales")
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue(call, "a1", "nowhere")
    with pytest.raises(AgentControlRefused):
        await rig.service.transfer_to_queue("no-such-call", None, "sales")
    assert rig.acd.agent("a1").state is AgentState.ON_CALL
    await rig.service.transfer_to_queue(call, None, "sales")  # a supervisor may move any talking call
    await rig.until(lambda: rig.of(CallQueued, call_id=call, queue="sales"), "the call queued in sales")

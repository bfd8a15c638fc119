"""A simulator, the shipped dialplan and an ACD service with agents a1 (support), a2 (sales) and a3 (support):
the rig the transfer, hold and consultation tests drive calls through."""

from __future__ import annotations

from collections.abc import AsyncIterator

from event_watch import WAIT, EventWatch

from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.events import CallConnected
from acd.service import AcdService
from acd.service_settings import AcdServiceSettings
from bus.eventbus import EventBus
from bus.events import DomainEvent
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiConfig
from cti.ami.events import DialStarted
from cti.sim import Simulator, SimulatorConfig
from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome, OutcomeKind

SPEED = 20.0
USER, SECRET = "xfer", "xfer-secret"
TALKS_LONG = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=1.0, talk_time=400.0)
TALKS_SHORT = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=1.0, talk_time=10.0)


class Rig(EventWatch):
    def __init__(self, bus: EventBus, sim: Simulator, ami: AmiClient, agi: AgiServer, acd: Acd,
                 service: AcdService) -> None:
        self.bus, self.sim, self.ami, self.agi, self.acd, self.service = bus, sim, ami, agi, acd, service
        self.events: list[DomainEvent] = []
        bus.add_listener(self.events.append)

    async def restart(self) -> AcdService:
        """Kill the ACD service and its FastAGI server (a crash, a failover) and start fresh ones on the same
        port, which re-adopt the calls from the PBX and the events so far."""
        port = self.agi.port
        await self.service.close()
        await self.agi.close()
        ami = self.ami

        async def interrupter(channel: str, agent_id: str) -> None:
            await ami.redirect(channel, "callcenter-connect", agent_id, 1)

        self.agi = AgiServer("127.0.0.1", port, interrupter=interrupter, shutdown_grace=0.5)
        await self.agi.start()
        self.acd = Acd(self.acd.config, clock=self.sim.clock.now)
        self.service = AcdService(self.acd, self.bus, ami, self.agi, clock=self.sim.clock.now, time_scale=SPEED,
                                  settings=self.service.settings)
        self.service.register_routes()
        await self.service.start()
        await self.service.readopt([e for e in self.events if not type(e).__module__.startswith("cti")])
        return self.service

    async def close(self) -> None:
        await self.service.close()
        await self.ami.close()
        await self.sim.stop()
        await self.agi.close()


async def start_rig(phones: dict[str, PhoneBehaviour] | None = None) -> Rig:
    """Everything running; ``phones`` replaces the agents' default phones (a1, a3 talk long, a2 short)."""
    bus = EventBus()
    config = AcdConfig(
        queues=(QueueConfig("support", wrap_up_seconds=30.0), QueueConfig("sales", wrap_up_seconds=30.0)),
        agents=(AgentConfig("a1", phone="PJSIP/a1", queues=("support",)),
                AgentConfig("a2", phone="PJSIP/a2", queues=("sales",)),
                AgentConfig("a3", phone="PJSIP/a3", queues=("support",))),
    )
    ami_holder: list[AmiClient] = []

    async def interrupter(channel: str, agent_id: str) -> None:
        await ami_holder[0].redirect(channel, "callcenter-connect", agent_id, 1)

    agi = AgiServer("127.0.0.1", 0, interrupter=interrupter, shutdown_grace=0.5)
    await agi.start()
    sim = Simulator(SimulatorConfig(
        ami_port=0, ami_user=USER, ami_secret=SECRET, agi_url=f"agi://127.0.0.1:{agi.port}/inbound",
        speed=SPEED, phones={"PJSIP/a1": TALKS_LONG, "PJSIP/a2": TALKS_SHORT, "PJSIP/a3": TALKS_LONG,
                             **(phones or {})},
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
            kind=OutcomeKind.QUEUE, call_id=session.uniqueid, queue="support",
            caller=CallerData(ani=session.env.caller_number or "", customer_id="c-7", customer_code="100008",
                              tier="gold", intent="billing", ivr_data=(("order", "42"),), unidentified=False)))

    agi.route("inbound", inbound)
    service.register_routes()
    await service.start()
    return Rig(bus, sim, ami, agi, acd, service)


async def rig_fixture(phones: dict[str, PhoneBehaviour] | None = None) -> AsyncIterator[Rig]:
    rig = await start_rig(phones)
    yield rig
    await rig.close()


async def talking_to_a1(rig: Rig) -> tuple[str, str]:
    """A caller talking to a1: (call id, the caller's channel the ACD holds, i.e. the one that dialled a1)."""
    await rig.service.set_ready("a1")
    phone = await rig.sim.place_inbound_call("5551000", "5550001", script=CallerScript())
    await rig.until(lambda: rig.of(CallConnected, agent_id="a1"), "a1 to answer")
    connected = rig.of(CallConnected, agent_id="a1")[0]
    assert isinstance(connected, CallConnected) and rig.sim.pbx.find(phone) is not None
    caller = next(e.channel for e in rig.of(DialStarted) if isinstance(e, DialStarted)
                  and e.dest_channel.startswith("PJSIP/a1-"))
    assert caller is not None
    return connected.call_id, caller

"""Issue 3 acceptance through the simulator: 300 Poisson calls reconcile with the event log, and a
restarted service re-adopts 20 waiting calls and serves them in their original order.

An "ACD process" here is what `serve` runs for the ACD: bus, event recorder (SQLite), FastAGI server,
AMI client, core and service. Killing one closes all of it at once, without a graceful hand-over;
the simulated Asterisk (and the event log) carry on to the next one.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.agents import AgentState
from acd.config import AcdConfig, AgentConfig, EscalationStep, QueueConfig
from acd.core import Acd
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallOffered,
    CallOfferFailed,
    CallQueued,
)
from acd.open_calls import HISTORY_EVENTS
from acd.readopt import CALL_ID_VARIABLE
from acd.service import AcdService
from acd.service_settings import AcdServiceSettings
from bus.eventbus import EventBus
from bus.events import DomainEvent
from callcenter.open_calls_snapshot import OpenCallsSnapshot
from callcenter.recorder import EventRecorder
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.eventlog import SqlEventLog, read_events
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiConfig
from cti.ami.events import DialEnded
from cti.sim import Simulator, SimulatorConfig
from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome, OutcomeKind

USER, SECRET = "acdtest", "acdtest-secret"
ACD_EVENTS = (CallQueued, CallOffered, CallOfferFailed, CallConnected, CallAbandoned, CallbackRequested,
              CallEnded, CallDisposed, AgentStateChanged)
# DNIS -> (queue, required skills): the IVR's choice, fixed per dialled number here.
ROUTES: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "5551001": ("support", (("billing", 3),)),
    "5551002": ("support", (("tech", 3),)),
    "5551003": ("sales", ()),
}


@dataclass
class AcdProcess:
    bus: EventBus
    recorder: EventRecorder
    agi: AgiServer
    ami: AmiClient
    acd: Acd
    service: AcdService
    events: list[DomainEvent] = field(default_factory=list)

    def of(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    def queued_ids(self) -> set[str]:
        return {e.call_id for e in self.events if isinstance(e, CallQueued)}


@dataclass
class Rig:
    config: AcdConfig
    settings: AcdServiceSettings
    sessions: sessionmaker[Session]
    speed: float
    sim: Simulator | None = None
    agi_port: int = 0
    processes: list[AcdProcess] = field(default_factory=list)

    async def start(self, phones: dict[str, PhoneBehaviour], default_phone: PhoneBehaviour) -> AcdProcess:
        """The simulated PBX and the first ACD process."""
        process = await self._process_agi()
        self.sim = Simulator(SimulatorConfig(
            ami_port=0, ami_user=USER, ami_secret=SECRET, agi_url=f"agi://127.0.0.1:{self.agi_port}/inbound",
            speed=self.speed, phones=phones, default_phone=default_phone, prompt_seconds=1.0,
            shipped_dialplan=True,
        ))
        await self.sim.start()
        return await self._connect(process)

    async def restart(self) -> AcdProcess:
        """A new ACD process against the same PBX and event log (on the FastAGI port of the old one)."""
        return await self._connect(await self._process_agi())

    async def _process_agi(self) -> tuple[AgiServer, list[AcdService]]:
        holder: list[AcdService] = []

        async def interrupter(channel: str, agent_id: str) -> None:
            await holder[0].ami.redirect(channel, "callcenter-connect", agent_id, 1)

        agi = AgiServer("127.0.0.1", self.agi_port, interrupter=interrupter, shutdown_grace=0.0)
        await agi.start()
        self.agi_port = agi.port
        return agi, holder

    async def _connect(self, started: tuple[AgiServer, list[AcdService]]) -> AcdProcess:
        agi, holder = started
        assert self.sim is not None
        clock = self.sim.clock.now
        bus = EventBus()
        recorder = EventRecorder(bus, SqlEventLog(self.sessions), flush_interval=0.05)
        recorder.start()
        ami = AmiClient(AmiConfig(port=self.sim.ami_port, username=USER, secret=SECRET, ping_interval=60.0), bus,
                        clock=clock)
        await ami.connect(timeout=10)
        acd = Acd(self.config, clock=clock)
        service = AcdService(acd, bus, ami, agi, clock=clock, time_scale=self.speed, settings=self.settings)
        holder.append(service)
        process = AcdProcess(bus, recorder, agi, ami, acd, service)
        bus.add_listener(process.events.append)

        async def inbound(session: AgiSession) -> None:
            queue, skills = ROUTES[session.query["dnis"]]
            await session.answer()  # the IVR's part: AGI() in the shipped dialplan leaves the call unanswered
            await service.wait_in_queue(session, IvrOutcome(
                kind=OutcomeKind.QUEUE, call_id=session.uniqueid, queue=queue, skills=skills,
                caller=CallerData(ani=session.env.caller_number or "", unidentified=False)))

        agi.route("inbound", inbound)
        service.register_routes()
        await service.start()
        self.processes.append(process)
        return process

    async def kill(self, process: AcdProcess) -> None:
        """Everything of the process stops at once; whatever its recorder had taken is in the log."""
        await process.service.close()
        await process.agi.close()
        await process.ami.close()
        await process.recorder.stop()

    def logged(self) -> list[DomainEvent]:
        with self.sessions() as session:
            return read_events(session, types=ACD_EVENTS)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")
    migrate(engine)
    return make_session_factory(engine)


@pytest.fixture
async def rigs(sessions: sessionmaker[Session]) -> AsyncIterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def factory(config: AcdConfig, settings: AcdServiceSettings, speed: float) -> Rig:
        rig = Rig(config, settings, sessions, speed)
        made.append(rig)
        return rig

    yield factory
    for rig in made:
        for process in rig.processes:
            if process.recorder._task is not None:
                await rig.kill(process)
        if rig.sim is not None:
            await rig.sim.stop()


async def until(predicate: Callable[[], object], what: str, seconds: float,
                describe: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what} {describe()}")
        await asyncio.sleep(0.02)


def outcomes(events: list[DomainEvent]) -> dict[str, str]:
    """call id -> answered / called_back / abandoned / callback_failed, from the ACD events of a log.

    Raises when a call has more than one end, or an end without having been queued.
    """
    queued = {e.call_id for e in events if isinstance(e, CallQueued)}
    callbacks = {e.call_id for e in events if isinstance(e, CallbackRequested)}
    ends: dict[str, str] = {}
    for e in events:
        if isinstance(e, CallEnded | CallAbandoned):
            assert e.call_id in queued and e.call_id not in ends, f"second end of {e.call_id}: {e}"
            if isinstance(e, CallAbandoned):
                ends[e.call_id] = "abandoned"
            elif e.outcome == "answered":
                ends[e.call_id] = "called_back" if e.call_id in callbacks else "answered"
            else:
                ends[e.call_id] = e.outcome
    return ends


# ------------------------------------------------------------------ 300 Poisson calls

CALLS = 300
SPEED = 40.0
SEED = 20240603


def contact_center() -> tuple[AcdConfig, dict[str, PhoneBehaviour]]:
    """20 agents with mixed skills and levels in two queues; two of them never answer their phone."""
    rng = random.Random(SEED)
    agents = []
    phones = {}
    for n in range(1, 21):
        skills: list[tuple[str, int]] = []
        if n <= 12:
            skills.append(("billing", rng.randint(3, 10)))
        if n >= 8:
            skills.append(("tech", rng.randint(3, 10)))
        queues = ("support", "sales") if n % 3 == 0 else ("support",) if n <= 16 else ("sales",)
        agents.append(AgentConfig(f"a{n:02}", phone=f"PJSIP/a{n:02}", skills=tuple(skills), queues=queues))
        phones[f"PJSIP/a{n:02}"] = (
            PhoneBehaviour(PhoneOutcome.NO_ANSWER, answer_after=4.0) if n in (5, 17)
            else PhoneBehaviour(answer_after=rng.uniform(0.5, 4.0), talk_time=rng.uniform(15.0, 45.0))
        )
    escalate = (EscalationStep(after=90.0, lower=(("billing", 1), ("tech", 1))),)
    config = AcdConfig(
        queues=(QueueConfig("support", wrap_up_seconds=5.0, expected_handle_seconds=40.0, escalation=escalate),
                QueueConfig("sales", wrap_up_seconds=5.0, expected_handle_seconds=40.0)),
        agents=tuple(agents),
    )
    return config, phones


async def test_300_poisson_calls_each_end_once_and_reconcile_with_the_event_log(
    rigs: Callable[..., Rig],
) -> None:
    config, phones = contact_center()
    rig = rigs(config, AcdServiceSettings(music_slice=10, announce_every=20.0, callback_offer_every=6.0,
                                          callback_digit_ms=2000, ring_timeout=12), SPEED)
    p = await rig.start(phones, default_phone=PhoneBehaviour(answer_after=2.0))
    sim = rig.sim
    assert sim is not None
    loop = asyncio.get_running_loop()
    for agent in config.agents:
        await p.service.set_ready(agent.id)

    def back_to_work(event: DomainEvent) -> None:
        # An agent who missed a ring comes back to the desk a while later (and may miss again).
        if isinstance(event, AgentStateChanged) and event.reason == "missed":
            loop.call_later(20.0 / SPEED, lambda: loop.create_task(p.service.set_ready(event.agent_id)))

    p.bus.add_listener(back_to_work, AgentStateChanged)
    rng = random.Random(SEED)
    started = time.monotonic()
    for i in range(CALLS):
        await sim.clock.sleep(rng.expovariate(0.6))  # 0.6 calls/s: a little over the 18 answering agents' capacity
        wants_callback = rng.random() < 0.15
        script = CallerScript(
            patience=12.0 + rng.expovariate(1 / 40.0),
            digits=((0.5, "1"),) if wants_callback else (),
        )
        await sim.place_inbound_call(rng.choice(list(ROUTES)), f"555{i:04}", script=script)

    def ended() -> dict[str, str]:
        return outcomes(p.events)

    await until(lambda: len(p.queued_ids()) == CALLS and len(ended()) == CALLS and not sim.live_channels(),
                "every call to end", 45.0, describe=lambda: (
                    len(p.queued_ids()), len(ended()), sim.live_channels()[:6],
                    [(type(e).__name__, e.at) for e in p.events if isinstance(e, ACD_EVENTS)
                     and getattr(e, "call_id", None) in p.queued_ids() - set(ended())][:30]))
    elapsed = time.monotonic() - started
    # Wrap-ups keep ending (and agents coming back) after the last call: compare what was on the bus up to
    # now with the head of the log once it has caught up.
    on_bus = [e for e in p.events if isinstance(e, ACD_EVENTS)]
    await p.recorder.flush()

    counts = collections.Counter(ended().values())
    assert set(counts) == {"answered", "called_back", "abandoned"}, counts
    assert counts["answered"] + counts["called_back"] + counts["abandoned"] == CALLS
    # Every placed caller reached the ACD once (caller numbers are unique per call).
    anis = [e.caller.ani or "" for e in p.of(CallQueued) if isinstance(e, CallQueued) and e.enter_time == e.at]
    assert sorted(anis) == [f"555{i:04}" for i in range(CALLS)]

    # The event log holds exactly what the bus carried, in the same order, and tells the same story.
    logged = rig.logged()[:len(on_bus)]
    assert [(type(e).__name__, getattr(e, "call_id", None)) for e in logged] == \
        [(type(e).__name__, getattr(e, "call_id", None)) for e in on_bus]
    assert collections.Counter(outcomes(logged).values()) == counts

    # Offers, rings and talks add up, and agree with what the PBX did.
    connected = len(p.of(CallConnected))
    assert connected == counts["answered"] + counts["called_back"] == len(p.of(CallEnded))
    abandoned_ringing = sum(1 for e in p.of(CallAbandoned) if isinstance(e, CallAbandoned) and e.position is None)
    assert len(p.of(CallOffered)) == connected + len(p.of(CallOfferFailed)) + abandoned_ringing
    agent_answers = [e for e in p.of(DialEnded) if isinstance(e, DialEnded)
                     and e.dial_status == "ANSWER" and e.dest_channel.startswith("PJSIP/")]
    assert len(agent_answers) == connected
    assert {e.reason for e in p.of(CallOfferFailed) if isinstance(e, CallOfferFailed)} == {"no_answer"}
    assert len(p.of(CallbackRequested)) == counts["called_back"]

    # Nothing is left behind: no waiting call, no reserved or talking agent.
    assert p.acd.waiting("support") == 0 and p.acd.waiting("sales") == 0
    assert not [a for a in p.acd.agents() if a.state in (AgentState.RESERVED, AgentState.ON_CALL)]
    print(f"\n300 calls in {elapsed:.1f} s real ({sim.clock.now() - sim.pbx.started:.0f} s simulated): "
          f"{dict(counts)}, offers {len(p.of(CallOffered))}, missed rings {len(p.of(CallOfferFailed))}")


# ------------------------------------------------------------------ restart with 20 calls waiting

async def test_restarted_service_readopts_20_waiting_calls_and_serves_them_in_order(
    rigs: Callable[..., Rig],
) -> None:
    speed = 20.0
    config = AcdConfig(
        queues=(QueueConfig("support", wrap_up_seconds=2.0, expected_handle_seconds=30.0),),
        agents=tuple(AgentConfig(a, phone=f"PJSIP/{a}", skills=(("billing", 5), ("tech", 5)),
                                 queues=("support",)) for a in ("a1", "a2", "a3")),
    )
    # Short music slices: while no service listens, each waiting call's FastAGI session ends and the
    # shipped dialplan's holding loop keeps the caller, asking the 'resume' script again and again.
    rig = rigs(config, AcdServiceSettings(music_slice=5, announce_every=1000.0, callback_offer_every=0), speed)
    answers = PhoneBehaviour(answer_after=1.0, talk_time=3.0)
    first = await rig.start({f"PJSIP/{a}": answers for a in ("a1", "a2", "a3")}, default_phone=answers)
    sim = rig.sim
    assert sim is not None
    await first.service.set_not_ready("a1", "lunch")
    await first.service.set_not_ready("a2", "break")
    order: list[str] = []
    for i in range(20):
        await sim.place_inbound_call(("5551001", "5551002")[i % 2], f"555{i:04}", script=CallerScript())
        await until(functools.partial(lambda n: len(first.of(CallQueued)) == n, i + 1), f"call {i} queued", 10.0)
        queued = first.of(CallQueued)[-1]
        assert isinstance(queued, CallQueued)
        order.append(queued.call_id)
        if i == 9:
            # The node's snapshot of open calls is taken here: the restart reads it and the ten calls after it.
            await first.recorder.flush()
            keeper = OpenCallsSnapshot(rig.sessions)
            keeper.open_calls()
            keeper.advance()
    await until(lambda: sum(1 for c in sim.pbx.channels.values() if c.variables.get(CALL_ID_VARIABLE)) == 20,
                "every waiting channel to carry its call", 10.0)

    holding: set[str] = set()  # channels whose 'resume' found no FastAGI server
    sim.add_event_sink(lambda headers: holding.add(dict(headers)["Channel"]) if (
        ("Variable", "AGISTATUS") in headers and ("Value", "FAILURE") in headers) else None)
    await rig.kill(first)
    await until(lambda: len(holding) == 20, "every caller to be in the holding loop", 10.0)
    second = await rig.restart()
    # Some holding loops reach the new service before it has taken the calls over; the rest are
    # still on hold when it does.
    await until(lambda: second.agi.active_sessions >= 3, "early 'resume' sessions", 10.0)
    restarted = OpenCallsSnapshot(rig.sessions)
    plan = await second.service.readopt(restarted.open_calls())
    with rig.sessions() as session:
        assert 0 < restarted.tail_events < len(read_events(session, types=HISTORY_EVENTS))

    assert [c.call_id for c in plan.channels] == order and not plan.closed and not plan.connected
    assert [c.call_id for c in second.acd.waiting_calls("support")] == order
    states = {a.agent_id: (a.state, a.reason) for a in second.acd.agents()}
    assert states == {"a1": (AgentState.NOT_READY, "lunch"), "a2": (AgentState.NOT_READY, "break"),
                      "a3": (AgentState.LOGGED_OUT, None)}
    # Every channel is back under a FastAGI session of the new service, on hold.
    await until(lambda: second.agi.active_sessions == 20, "20 resumed sessions", 10.0)

    await second.service.set_ready("a1")
    await second.service.set_ready("a2")
    await until(lambda: len(second.of(CallEnded)) == 20, "all 20 calls to be served", 30.0)
    offered = [e.call_id for e in second.of(CallOffered) if isinstance(e, CallOffered)]
    assert offered == order
    await second.recorder.flush()
    logged = rig.logged()
    assert collections.Counter(outcomes(logged).values()) == {"answered": 20}
    assert len([e for e in logged if isinstance(e, CallQueued)]) == 20  # none queued twice
    assert not [e for e in logged if isinstance(e, CallAbandoned)]

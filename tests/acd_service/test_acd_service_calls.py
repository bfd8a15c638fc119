"""The ACD service end to end: the real simulator, FastAGI server, AMI client, core and service in-process.

The simulator runs SPEED times faster than real time, and so does the core's clock (the simulator's), so
seconds below are simulated PBX seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from event_watch import WAIT, EventWatch

from acd.agents import AgentState
from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.control import AgentControlRefused
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
from acd.service import AcdService
from acd.service_settings import AcdServiceSettings
from bus.eventbus import EventBus
from bus.events import DomainEvent
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiConfig
from cti.ami.events import ChannelHungUp, DialStarted
from cti.sim import Simulator, SimulatorConfig
from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome, OutcomeKind

SPEED = 20.0
USER, SECRET = "acdsvc", "acdsvc-secret"
QUEUE = "support"
WRAP_UP = 30.0


@dataclass
class Harness(EventWatch):
    bus: EventBus
    sim: Simulator
    ami: AmiClient
    agi: AgiServer
    acd: Acd
    service: AcdService
    events: list[DomainEvent] = field(default_factory=list)
    real_times: list[float] = field(default_factory=list)
    # Callers (by number) whose IVR ends in a call-back request instead of the queue.
    ivr_callbacks: set[str] = field(default_factory=set)

    def record(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.real_times.append(time.monotonic())

    async def call(self, number: str, script: CallerScript | None = None) -> str:
        """Ring a call in; returns its call id (the Uniqueid of the channel running our FastAGI)."""
        caller = await self.sim.place_inbound_call("5551000", number, script=script or CallerScript())
        ivr_side = caller[:-1] + "2"
        await self.until(lambda: self.sim.pbx.find(ivr_side) is not None, "the IVR side of the call")
        chan = self.sim.pbx.find(ivr_side)
        assert chan is not None
        call_id = chan.uniqueid
        await self.until(lambda: self.of(CallQueued, call_id=call_id), f"{call_id} queued")
        return call_id

    def state(self, agent_id: str) -> AgentState:
        return self.acd.agent(agent_id).state


def phones(**behaviours: PhoneBehaviour) -> dict[str, PhoneBehaviour]:
    return {f"PJSIP/{agent}": b for agent, b in behaviours.items()}


ANSWERS = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=1.0, talk_time=8.0)
NEVER_ANSWERS = PhoneBehaviour(PhoneOutcome.NO_ANSWER, answer_after=3.0)
RINGS_LONG = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=30.0, talk_time=5.0)


DEFAULT_SETTINGS = AcdServiceSettings(music_slice=10, announce_every=15.0, callback_offer_every=4.0,
                                      callback_digit_ms=2000)


async def start_harness(
    phone_map: dict[str, PhoneBehaviour], agents: tuple[str, ...], max_length: int | None = None,
    settings: AcdServiceSettings = DEFAULT_SETTINGS,
) -> Harness:
    bus = EventBus()
    config = AcdConfig(
        queues=(QueueConfig(QUEUE, wrap_up_seconds=WRAP_UP, expected_handle_seconds=60.0, max_length=max_length),),
        agents=tuple(AgentConfig(a, phone=f"PJSIP/{a}", queues=(QUEUE,)) for a in agents),
    )
    ami_holder: list[AmiClient] = []

    async def interrupter(channel: str, agent_id: str) -> None:
        await ami_holder[0].redirect(channel, "callcenter-connect", agent_id, 1)

    agi = AgiServer("127.0.0.1", 0, interrupter=interrupter, shutdown_grace=0.5)
    await agi.start()
    sim = Simulator(SimulatorConfig(
        ami_port=0, ami_user=USER, ami_secret=SECRET, agi_url=f"agi://127.0.0.1:{agi.port}/inbound",
        speed=SPEED, phones=phone_map, default_phone=PhoneBehaviour(answer_after=1.0), prompt_seconds=1.0,
        shipped_dialplan=True,
    ))
    await sim.start()
    ami = AmiClient(AmiConfig(port=sim.ami_port, username=USER, secret=SECRET, ping_interval=60.0), bus,
                    clock=sim.clock.now)
    ami_holder.append(ami)
    await ami.connect(timeout=WAIT)
    acd = Acd(config, clock=sim.clock.now)
    service = AcdService(acd, bus, ami, agi, clock=sim.clock.now, time_scale=SPEED, settings=settings)
    h = Harness(bus, sim, ami, agi, acd, service)
    bus.add_listener(h.record)

    async def inbound(session: AgiSession) -> None:
        # The IVR's part: the shipped dialplan hands the call over unanswered, as real Asterisk's AGI() does.
        await session.answer()
        ani = session.env.caller_number or ""
        if ani in h.ivr_callbacks:
            await service.callback_from_ivr(session, IvrOutcome(
                kind=OutcomeKind.CALLBACK, call_id=session.uniqueid, caller=CallerData(ani=ani, unidentified=True),
                queue=QUEUE, callback_number=ani))
            return
        outcome = IvrOutcome(kind=OutcomeKind.QUEUE, call_id=session.uniqueid,
                             caller=CallerData(ani=ani, unidentified=True), queue=QUEUE)
        await service.wait_in_queue(session, outcome)

    agi.route("inbound", inbound)
    service.register_routes()
    await service.start()
    return h


MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make() -> AsyncIterator[MakeHarness]:
    started: list[Harness] = []

    async def factory(phone_map: dict[str, PhoneBehaviour], *agents: str, max_length: int | None = None,
                      settings: AcdServiceSettings = DEFAULT_SETTINGS) -> Harness:
        h = await start_harness(phone_map, agents, max_length, settings)
        started.append(h)
        return h

    yield factory
    for h in started:
        await h.service.close()
        await h.ami.close()
        await h.sim.stop()
        await h.agi.close()


async def test_waiting_call_is_interrupted_answered_and_ends_in_wrap_up(make: MakeHarness) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    call = await h.call("5550001")
    await asyncio.sleep(0.3)  # the caller is on hold now
    assert not h.of(CallOffered)

    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallEnded, call_id=call), "the talk to end")

    acd_events = [type(e) for e in h.events if isinstance(e, CallQueued | CallOffered | CallConnected | CallEnded)]
    assert acd_events == [CallQueued, CallOffered, CallConnected, CallEnded]
    connected = h.of(CallConnected, call_id=call)[0]
    assert isinstance(connected, CallConnected) and connected.agent_id == "a1"
    assert h.state("a1") is AgentState.WRAP_UP
    states = [(e.state, e.call_id) for e in h.of(AgentStateChanged, agent_id="a1")
              if isinstance(e, AgentStateChanged)]
    assert states == [("ready", None), ("reserved", call), ("on_call", call), ("wrap_up", None)]
    # The wait was broken by the redirect and the agent's phone rang at once.
    offered_at = h.real_times[h.events.index(h.of(CallOffered)[0])]
    dial = h.of(DialStarted, dial_string="PJSIP/a1")
    assert dial and h.real_times[h.events.index(dial[0])] - offered_at < 0.5

    await h.service.dispose(call, "a1", "solved", "all good")
    disposed = h.of(CallDisposed, call_id=call)
    assert disposed and isinstance(disposed[0], CallDisposed) and disposed[0].disposition == "solved"
    assert h.state("a1") is AgentState.READY
    with pytest.raises(AgentControlRefused):
        await h.service.dispose(call, "a1", "solved", "twice")


async def test_no_answer_sends_the_agent_not_ready_and_the_call_back_to_the_head(make: MakeHarness) -> None:
    h = await make(phones(a1=NEVER_ANSWERS, a2=ANSWERS), "a1", "a2")
    first = await h.call("5550001")
    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallOffered, call_id=first), "the offer to a1")
    second = await h.call("5550002")
    await h.until(lambda: h.of(CallOfferFailed, call_id=first), "a1 not answering")

    failed = h.of(CallOfferFailed, call_id=first)[0]
    assert isinstance(failed, CallOfferFailed) and failed.reason == "no_answer"
    view = h.acd.agent("a1")
    assert view.state is AgentState.NOT_READY and view.reason == "missed"
    requeued = h.of(CallQueued, call_id=first)
    assert len(requeued) == 2 and isinstance(requeued[0], CallQueued) and isinstance(requeued[1], CallQueued)
    assert requeued[1].enter_time == requeued[0].enter_time
    assert h.acd.position(first) == 1 and h.acd.position(second) == 2

    await asyncio.sleep(0.3)  # the caller is back on hold in the same session
    await h.service.set_ready("a2")
    await h.until(lambda: h.of(CallConnected, call_id=first), "a2 taking the first call")
    connected = h.of(CallConnected, call_id=first)[0]
    assert isinstance(connected, CallConnected) and connected.agent_id == "a2"
    assert h.acd.position(second) == 1


@pytest.mark.parametrize(("outcome", "reason", "pause"), [
    (PhoneOutcome.BUSY, "busy", "busy"),
    (PhoneOutcome.CONGESTION, "failed", "failed"),
])
async def test_busy_or_unreachable_phone_returns_the_call(
    make: MakeHarness, outcome: PhoneOutcome, reason: str, pause: str
) -> None:
    h = await make(phones(a1=PhoneBehaviour(outcome, answer_after=1.0), a2=ANSWERS), "a1", "a2")
    await h.service.set_ready("a1")
    call = await h.call("5550001")
    await h.until(lambda: h.of(CallOfferFailed, call_id=call), "the failed ring")
    failed = h.of(CallOfferFailed, call_id=call)[0]
    assert isinstance(failed, CallOfferFailed) and failed.reason == reason
    assert h.acd.agent("a1").reason == pause
    await h.service.set_ready("a2")
    await h.until(lambda: h.of(CallConnected, call_id=call, agent_id="a2"), "a2 taking the call")


async def test_refused_call_hears_a_message_and_is_hung_up(make: MakeHarness) -> None:
    h = await make(phones(a1=ANSWERS), "a1", max_length=0)
    commands: list[str] = []
    h.sim.add_event_sink(lambda headers: commands.extend(
        v for k, v in headers if k == "Command" and ("Event", "AGIExecStart") in headers))
    await h.sim.place_inbound_call("5551000", "5550001")
    await h.until(lambda: h.agi.stats.completed == 1, "the refused session to end")
    await h.until(lambda: not h.sim.live_channels(), "the call to be hung up")
    assert not h.of(CallQueued)
    assert h.acd.waiting(QUEUE) == 0
    assert [c.split()[2] for c in commands if c.startswith("STREAM FILE")] == ["ss-noservice", "vm-goodbye"]
    assert commands[-1] == "HANGUP"


async def test_caller_hanging_up_while_waiting_is_abandoned_without_reservation(make: MakeHarness) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    call = await h.call("5550001", CallerScript(patience=6.0))
    await h.until(lambda: h.of(CallAbandoned, call_id=call), "the caller to give up")

    assert h.acd.waiting(QUEUE) == 0
    await h.service.set_ready("a1")
    await asyncio.sleep(0.2)
    assert h.state("a1") is AgentState.READY
    assert not h.of(CallOffered)


async def test_caller_hanging_up_while_the_agent_rings_frees_the_agent(make: MakeHarness) -> None:
    h = await make(phones(a1=RINGS_LONG), "a1")
    await h.service.set_ready("a1")
    call = await h.call("5550001", CallerScript(patience=8.0))
    await h.until(lambda: h.of(CallAbandoned, call_id=call), "the caller to give up while it rings")

    assert h.of(CallOffered, call_id=call, agent_id="a1")
    assert not h.of(CallConnected)
    view = h.acd.agent("a1")
    assert view.state is AgentState.READY and view.call_id is None
    await h.until(lambda: not h.sim.live_channels(), "every channel to be gone")


async def test_callback_keeps_its_place_and_is_originated_at_the_head(make: MakeHarness) -> None:
    h = await make(phones(a1=PhoneBehaviour(answer_after=1.0, talk_time=3.0)), "a1")
    first = await h.call("5550001")
    wants_callback = await h.call("5550002", CallerScript(digits=((0.2, "1"),)))
    await h.until(lambda: h.of(CallbackRequested, call_id=wants_callback), "the call-back request")
    third = await h.call("5550003")
    request = h.of(CallbackRequested, call_id=wants_callback)[0]
    assert isinstance(request, CallbackRequested) and request.number == "5550002"
    assert h.acd.position(wants_callback) == 2 and h.acd.position(third) == 3
    await h.until(lambda: not any(c.endswith(";2") and h.sim.pbx.channels[c].uniqueid == wants_callback
                                  for c in h.sim.live_channels()), "the call-back caller to be let go")

    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallEnded, call_id=first), "the first call")
    # Wrap-up is WRAP_UP s; then the call-back is next, before the third caller.
    await h.until(lambda: h.of(CallEnded, call_id=wants_callback), "the call-back to be talked")
    offers = [e.call_id for e in h.of(CallOffered) if isinstance(e, CallOffered)]
    assert offers[:2] == [first, wants_callback]
    ended = h.of(CallEnded, call_id=wants_callback)[0]
    assert isinstance(ended, CallEnded) and ended.outcome == "answered" and ended.talk_seconds > 0
    assert h.of(CallConnected, call_id=wants_callback, agent_id="a1")
    assert not h.of(CallAbandoned)


def agi_commands(h: Harness) -> dict[str, list[tuple[float, str]]]:
    """AGI commands as the simulated Asterisk runs them: channel -> [(PBX time, command line)], live."""
    seen: dict[str, list[tuple[float, str]]] = {}

    def sink(headers: list[tuple[str, str]]) -> None:
        fields = dict(headers)
        if fields.get("Event") == "AGIExecStart":
            seen.setdefault(fields["Channel"], []).append((h.sim.clock.now(), fields["Command"]))

    h.sim.add_event_sink(sink)
    return seen


def spoken(commands: list[tuple[float, str]]) -> list[str]:
    """The prompts and numbers a caller heard: ``queue-thereare``, ``2``, ..."""
    return [c.split()[2] for _, c in commands if c.startswith(("STREAM FILE", "SAY NUMBER"))]


async def test_waiting_callers_hear_their_position_and_wait_every_n_seconds(make: MakeHarness) -> None:
    every = 6.0
    h = await make(phones(a1=PhoneBehaviour(answer_after=0.5, talk_time=600.0)), "a1", settings=AcdServiceSettings(
        music_slice=2, announce_every=every, callback_offer_every=0))
    commands = agi_commands(h)
    await h.service.set_ready("a1")
    first = await h.call("5550001")
    await h.until(lambda: h.of(CallConnected, call_id=first), "a1 to take the first call")
    waiting = [await h.call(f"555000{i}") for i in (2, 3, 4)]
    channels = {c: next(n for n, ch in h.sim.pbx.channels.items() if ch.uniqueid == c) for c in waiting}
    await h.until(lambda: all(spoken(commands.get(channels[c], [])).count("queue-minutes") >= 2 for c in waiting),
                  "two announcements to each waiting caller")

    # One agent staffs the queue with 60 s per call: the n-th caller waits about n minutes.
    head, second, third = (spoken(commands[channels[c]]) for c in waiting)
    assert head[:4] == ["queue-youarenext", "queue-holdtime", "1", "queue-minutes"]
    assert second[:6] == ["queue-thereare", "1", "queue-callswaiting", "queue-holdtime", "2", "queue-minutes"]
    assert third[:6] == ["queue-thereare", "2", "queue-callswaiting", "queue-holdtime", "3", "queue-minutes"]
    for c in waiting:
        starts = [t for t, cmd in commands[channels[c]] if cmd.startswith("STREAM FILE queue-holdtime")]
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        # Announced every `every` s, give or take the music slice running when it fell due and the prompts.
        assert gaps and all(every <= g <= every + 2 + 6 for g in gaps), gaps
    assert not h.of(CallAbandoned) and h.acd.position(waiting[0]) == 1


async def test_logging_out_while_the_phone_rings_hangs_up_that_ring(make: MakeHarness) -> None:
    h = await make(phones(a1=PhoneBehaviour(answer_after=60.0), a2=ANSWERS), "a1", "a2",
                   settings=AcdServiceSettings(ring_timeout=100, callback_offer_every=0))
    await h.service.set_ready("a1")
    call = await h.call("5550001")
    await h.until(lambda: h.of(DialStarted, dial_string="PJSIP/a1"), "a1's phone to ring")
    dial = h.of(DialStarted, dial_string="PJSIP/a1")[0]
    assert isinstance(dial, DialStarted)
    logged_out_at = h.sim.clock.now()

    await h.service.logout("a1")
    await h.until(lambda: h.of(ChannelHungUp, channel=dial.dest_channel), "a1's ringing leg to be hung up")
    assert h.sim.clock.now() - logged_out_at < 5.0  # not the 60 s the phone would ring, nor the ring timeout
    failed = h.of(CallOfferFailed, call_id=call)
    assert len(failed) == 1 and isinstance(failed[0], CallOfferFailed) and failed[0].reason == "logged_out"
    assert h.state("a1") is AgentState.LOGGED_OUT
    await asyncio.sleep(0.2)  # the caller is back on hold, first in line
    assert h.acd.position(call) == 1 and h.sim.pbx.find(dial.dest_channel) is None

    await h.service.set_ready("a2")
    await h.until(lambda: h.of(CallConnected, call_id=call, agent_id="a2"), "a2 taking the call")
    assert not h.of(CallAbandoned)


async def test_a_call_back_asked_for_in_the_ivr_is_queued_and_made_when_an_agent_frees(make: MakeHarness) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    h.ivr_callbacks.add("5550042")
    caller = await h.sim.place_inbound_call("5551000", "5550042", script=CallerScript())
    await h.until(lambda: h.of(CallbackRequested), "the call-back request from the IVR")
    request = h.of(CallbackRequested)[0]
    assert isinstance(request, CallbackRequested) and request.number == "5550042"
    await h.until(lambda: h.sim.pbx.find(caller) is None, "the caller to be hung up")
    assert not h.of(CallAbandoned)

    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallEnded, call_id=request.call_id), "the call-back to be talked")
    assert h.of(CallConnected, call_id=request.call_id, agent_id="a1")


HOSTILE_CALLER_IDS = ["0044@from-internal/", "1,2"]


@pytest.mark.parametrize("caller_id", HOSTILE_CALLER_IDS)
async def test_an_ivr_call_back_to_a_caller_id_we_may_not_dial_becomes_a_wait_in_queue(
    make: MakeHarness, caller_id: str
) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    h.ivr_callbacks.add(caller_id)
    await h.sim.place_inbound_call("5551000", caller_id, script=CallerScript())
    await h.until(lambda: h.of(CallQueued), "the call to be queued")
    await h.service.set_ready("a1")
    queued = h.of(CallQueued)[0]
    assert isinstance(queued, CallQueued)
    await h.until(lambda: h.of(CallConnected, call_id=queued.call_id, agent_id="a1"), "a1 taking the call")
    assert not h.of(CallbackRequested)


@pytest.mark.parametrize("caller_id", HOSTILE_CALLER_IDS)
async def test_no_call_back_is_offered_in_the_wait_to_a_caller_id_we_may_not_dial(
    make: MakeHarness, caller_id: str
) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    commands: list[str] = []
    h.sim.add_event_sink(lambda headers: commands.extend(
        v for k, v in headers if k == "Command" and ("Event", "AGIExecStart") in headers))
    call = await h.call(caller_id, CallerScript(digits=((0.2, "1"), (6.0, "1"), (12.0, "1"))))
    # Three times the call-back offer interval of the wait.
    await asyncio.sleep(3 * DEFAULT_SETTINGS.callback_offer_every / SPEED + 0.3)
    assert not h.of(CallbackRequested)
    assert not [c for c in commands if "press-1-callback" in c]
    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallConnected, call_id=call), "a1 taking the call")


async def test_disposing_an_earlier_call_does_not_end_the_wrap_up_of_the_current_one(make: MakeHarness) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    earlier = await h.call("5550001")
    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallEnded, call_id=earlier), "the earlier call to end")
    current = await h.call("5550002")  # taken when the earlier wrap-up times out
    await h.until(lambda: h.of(CallEnded, call_id=current), "the current call to end")
    assert h.state("a1") is AgentState.WRAP_UP

    await h.service.dispose(earlier, "a1", "solved", "late notes")
    assert h.state("a1") is AgentState.WRAP_UP
    await h.service.dispose(current, "a1", "solved", "")
    assert h.state("a1") is AgentState.READY


async def test_a_wrap_up_saved_during_the_talk_is_kept_and_recorded_when_the_call_ends(make: MakeHarness) -> None:
    h = await make(phones(a1=ANSWERS), "a1")
    call = await h.call("5550001")
    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallConnected, call_id=call), "a1 taking the call")
    await h.service.dispose(call, "a1", "solved", "first thoughts")
    await h.service.dispose(call, "a1", "solved", "notes typed during the call")  # the last save wins
    assert not h.of(CallDisposed, call_id=call)  # not before the call ends
    await h.until(lambda: h.of(CallDisposed, call_id=call), "the wrap-up to be recorded at hang-up")
    disposed = h.of(CallDisposed, call_id=call)
    assert len(disposed) == 1 and isinstance(disposed[0], CallDisposed)
    assert disposed[0].notes == "notes typed during the call"
    assert h.events.index(h.of(CallEnded, call_id=call)[0]) < h.events.index(disposed[0])
    assert h.state("a1") is AgentState.READY  # saved already: no wrap-up time to wait out
    with pytest.raises(AgentControlRefused):
        await h.service.dispose("no-such-call", "a1", "solved", "")


async def test_an_agent_with_auto_answer_is_connected_by_their_phone_answering_by_itself(make: MakeHarness) -> None:
    # The person at a1's phone never picks up within the ring time; the phone honours auto-answer requests.
    away = PhoneBehaviour(PhoneOutcome.ANSWER, answer_after=60.0, talk_time=5.0, auto_answers=True)
    h = await make(phones(a1=away), "a1")
    await h.service.set_auto_answer("a1", 2)
    with pytest.raises(AgentControlRefused):
        await h.service.set_auto_answer("a1", 31)
    call = await h.call("5550001")
    await h.service.set_ready("a1")
    await h.until(lambda: h.of(CallConnected, call_id=call), "the phone to answer by itself")
    offered = h.of(CallOffered, call_id=call)[0]
    connected = h.of(CallConnected, call_id=call)[0]
    # Simulated seconds: it rang the requested delay first, and was answered within the ring time (the person
    # would have taken 60 s; a loaded machine stretches simulated time, so no tighter bound).
    assert 1.5 <= connected.at - offered.at < AcdServiceSettings().ring_timeout
    assert h.state("a1") is AgentState.ON_CALL
    await h.until(lambda: h.of(CallEnded, call_id=call), "the talk to end")
    # Turned off, the same phone rings until the ring time is up: the person is still away.
    await h.service.dispose(call, "a1", "solved", "")
    await h.service.set_auto_answer("a1", None)
    second = await h.call("5550002")
    await h.until(lambda: h.of(CallOfferFailed, call_id=second), "the ring to time out")
    assert not h.of(CallConnected, call_id=second)

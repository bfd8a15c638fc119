"""The ACD service: carries out the core's decisions over Asterisk (FastAGI for the call, AMI out of band).

It is cut along its seams: the table of legs (:mod:`acd.legs`, each call's channel and its phase), the
moves on the PBX (:mod:`acd.pbx_moves`), the caller's wait and the agents' phones ringing
(:mod:`acd.queue_wait`) and the talk with its transfers, hold and consultations (:mod:`acd.talk`). This
module holds them together: the desktops' requests, the core's effects and timer, and the PBX's events.
A channel hang-up seen on AMI is the backstop for every step, so no reservation outlives its caller.

Restarts: a queued call's ACD record is kept in channel variables (:mod:`acd.readopt`). A new service
calls :meth:`AcdService.readopt` before taking traffic: it reads every channel's variables over AMI,
rebuilds the core with the event log, and brings each waiting channel back under a FastAGI session by
redirecting it to ``callcenter-resume``/<call id> (or straight to ``callcenter-connect`` when an agent
is free for it). Talking channels are left alone; their hang-up ends the call as usual. A waiting call
whose session ended while no service listened sits in the dialplan's holding loop, which runs the
``resume`` script again now and then; such a session arriving before :meth:`AcdService.readopt` is kept
until the call is taken over and then serves it, instead of a redirect.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from acd.agents import AgentState, AgentView
from acd.config import AgentConfig
from acd.control import AgentControlRefused, refused_by_core
from acd.core import Acd
from acd.decisions import Effects, Offer, OriginateCallback
from acd.events import CallDisposed, CallEnded
from acd.legs import Leg, LegPhase, Legs
from acd.open_calls import OpenCalls
from acd.pbx_moves import RESUME_CONTEXT, PbxMoves, turn_away
from acd.queue_wait import QueueWait
from acd.readopt import ADOPT_VARIABLES, BadCallVariables, ChannelCall, RestorePlan, parse_channel, plan_restore
from acd.service_settings import AcdServiceSettings
from acd.talk import Talk
from bus.clock import Clock
from bus.eventbus import EventBus
from bus.events import DomainEvent
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient
from cti.ami.events import ChannelHungUp, DialEnded, DialStarted, OriginateResult
from ivr.outcome import IvrOutcome

log = logging.getLogger(__name__)

UNDISPOSED_KEPT = 10_000
# Real seconds the timer rests after a failed tick, so a deadline that keeps failing cannot spin the loop.
TIMER_RETRY_SECONDS = 1.0


class AcdService:
    """Drives one :class:`~acd.core.Acd` from the PBX and the desktops; implements ``AgentControl``.

    ``clock`` must be the core's clock; ``time_scale`` is clock seconds per real second (the
    simulator's speed), used only to sleep until the core's next deadline.
    """

    def __init__(
        self,
        acd: Acd,
        bus: EventBus,
        ami: AmiClient,
        agi: AgiServer,
        *,
        clock: Clock = time.time,
        settings: AcdServiceSettings | None = None,
        time_scale: float = 1.0,
    ) -> None:
        self.acd = acd
        self.bus = bus
        self.ami = ami
        self.agi = agi
        self.clock = clock
        self.settings = settings or AcdServiceSettings()
        self.time_scale = time_scale
        self._legs = Legs()
        self._pbx = PbxMoves(ami, log)
        self._wait = QueueWait(acd, self._legs, self._pbx, self.settings, clock, self._apply)
        self._talk = Talk(acd, bus, self._legs, self._pbx, self._wait, self.settings, clock, self._apply)
        # (call id, agent id) of ended talks not yet disposed; a transferred call has one per agent.
        self._undisposed: collections.OrderedDict[tuple[str, str], None] = collections.OrderedDict()
        self._wrapping_up: dict[str, str] = {}  # agent id -> the call whose wrap-up they are in
        # (call id, agent id) -> (disposition, notes) the agent saved during the talk, published at its end.
        self._early: dict[tuple[str, str], tuple[str, str]] = {}
        self._wake = asyncio.Event()
        self._readopted = asyncio.Event()
        self._early_resumes: set[str] = set()  # channels whose 'resume' session waits for readopt
        self._timer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    def register_routes(self) -> None:
        """Route the ``connect``, ``callback``, ``resume``, ``transfer``, ``talk`` and ``consult`` FastAGI
        scripts of the dialplan to this service."""
        self.agi.route("connect", self._wait.connect)
        self.agi.route("callback", self._wait.callback)
        self.agi.route("resume", self.resume_session)
        self.agi.route("transfer", self.transfer)
        self.agi.route("talk", self._talk.talk_session)
        self.agi.route("consult", self._talk.consult_session)

    async def start(self) -> None:
        """Listen to the PBX's events and run the timer for escalations and wrap-up ends."""
        self.bus.add_listener(self._on_pbx_event, ChannelHungUp, DialStarted, DialEnded, OriginateResult)
        self._timer = asyncio.create_task(self._run_timer(), name="acd-timer")

    async def close(self) -> None:
        """Stop deciding: a FastAGI session still running after this changes nothing and publishes nothing
        (another service, on this node or another, may own the calls already)."""
        self._pbx.stop()
        self.bus.remove_listener(self._on_pbx_event)
        if self._timer is not None:
            self._timer.cancel()
            await asyncio.gather(self._timer, return_exceptions=True)
            self._timer = None
        await self._pbx.cancel_all()

    async def readopt(self, history: OpenCalls | Iterable[DomainEvent]) -> RestorePlan:
        """Take over the calls a previous service left in Asterisk; call once, after :meth:`start`
        (``resume`` sessions wait until it has run).

        ``history`` is the event log in log order (at least the ACD's call events and
        ``AgentStateChanged``), or what it leaves open (:class:`acd.open_calls.OpenCalls`): agents get their
        last state back, call-backs waiting without a channel keep their place, and calls whose channel
        vanished meanwhile are closed (abandoned or ended).
        """
        found: list[ChannelCall] = []
        for info in await self.ami.status(variables=ADOPT_VARIABLES):
            try:
                call = parse_channel(info.channel, dict(info.variables))
            except BadCallVariables as exc:
                log.warning("not re-adopting %s", exc)
                continue
            if call is not None and call.call_id not in self._legs:
                found.append(call)
        plan = plan_restore(found, history, self.acd.config, self.clock())
        for event in plan.closed:
            self.bus.publish(event)
        legs = []
        # From here to the end nothing awaits, so no early 'resume' session comes or goes meanwhile.
        for call in plan.channels:
            # A talk a previous service left runs on without us (its Dial or Bridge outlives the session):
            # either side's hang-up, or the caller coming back to the dialplan, is ours to act on.
            if call.call_id in plan.connected:
                leg = Leg(call.call_id, call.channel, LegPhase.BRIDGED, agent_channel=call.agent_line)
                if leg.agent_channel is not None:
                    self._legs.bind_agent_line(leg)
            else:
                early = call.channel in self._early_resumes
                leg = Leg(call.call_id, call.channel, LegPhase.QUEUED if early else LegPhase.PARKED)
            leg.callback_to = call.callback_to
            self._legs.add(leg)
            self._legs.bind_channel(call.channel, leg)
            legs.append(leg)
        self._apply(self.acd.restore(plan.snapshot))  # offers redirect their parked channel to connect
        for leg in legs:
            if leg.phase is LegPhase.PARKED:
                leg.move(LegPhase.QUEUED)
                leg.redirected = True
                self._pbx.spawn(self._pbx.redirect(leg.channel, RESUME_CONTEXT, leg.call_id))
        self._readopted.set()
        log.info("re-adopted %d calls (%d talking), closed %d, restored %d agents", len(legs),
                 len(plan.connected), len(plan.closed), len(plan.snapshot["agents"]))
        return plan

    # ------------------------------------------------------------- agent control

    def agent_configs(self) -> list[AgentConfig]:
        """Every agent the ACD knows, as declared."""
        return self.acd.agent_configs()

    def queue_names(self) -> list[str]:
        return [q.name for q in self.acd.config.queues]

    def skill_names(self) -> list[str]:
        """The declared skills; without ``[[skills]]``, those the queues and agents name."""
        if self.acd.config.skills:
            return list(self.acd.config.skills)
        used = {s for q in self.acd.config.queues for s, _ in q.skills}
        return sorted(used | {s for a in self.acd.agent_configs() for s, _ in a.skills})

    async def add_agent(self, config: AgentConfig) -> None:
        """Declare a new agent (logged out) in the running ACD; :class:`AgentControlRefused` when the core
        refuses it (an id taken, an unknown queue)."""
        with refused_by_core():
            self.acd.add_agent(config)

    async def update_agent(self, config: AgentConfig) -> None:
        """Change a logged-out agent in the running ACD; :class:`AgentControlRefused` when the core refuses."""
        with refused_by_core():
            self.acd.update_agent(config)

    async def set_ready(self, agent_id: str) -> None:
        self._core(lambda: self.acd.make_ready(agent_id))

    async def set_not_ready(self, agent_id: str, reason: str) -> None:
        self._core(lambda: self.acd.make_not_ready(agent_id, reason))

    async def logout(self, agent_id: str) -> None:
        """Log the agent out; a call ringing their phone stops ringing there and goes back to its place."""
        view = self._view(agent_id)
        leg = self._legs.get(view.call_id or "") if view.state is AgentState.RESERVED else None
        withdrawn = leg.offer if leg is not None else None
        self._core(lambda: self.acd.logout(agent_id))
        if leg is None or withdrawn is None:
            return
        if leg.offer is withdrawn:
            leg.offer = None  # nobody took the call over yet: it waits again
        if leg.ringing is withdrawn and leg.dial_channel is not None:
            self._pbx.spawn(self._pbx.hang_up(leg.dial_channel))
        # else the Dial is not under way yet: DialStarted hangs its leg up when it comes

    async def dispose(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        """Save the wrap-up of a call: publishes CallDisposed and ends the wrap-up; saved during the talk it is
        kept (the last one saved wins) and published when the talk ends."""
        if (call_id, agent_id) not in self._undisposed:
            view = self._view(agent_id)
            if view.call_id != call_id or view.state is not AgentState.ON_CALL:
                raise AgentControlRefused(f"agent {agent_id} has no call {call_id} to dispose")
            self._early[call_id, agent_id] = (disposition, notes)
            return
        self._save_disposition(call_id, agent_id, disposition, notes)

    async def extend_wrap_up(self, agent_id: str) -> None:
        """More wrap-up time for the agent, within their call's queue limit."""
        self._core(lambda: self.acd.extend_wrap_up(agent_id))

    def _save_disposition(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        del self._undisposed[call_id, agent_id]
        self.bus.publish(CallDisposed(at=self.clock(), call_id=call_id, agent_id=agent_id,
                                      disposition=disposition, notes=notes))
        # Disposing an earlier call must not cut the wrap-up of the one just ended short.
        if self._view(agent_id).state is AgentState.WRAP_UP and self._wrapping_up.get(agent_id) == call_id:
            del self._wrapping_up[agent_id]
            self._core(lambda: self.acd.end_wrap_up(agent_id))

    # ------------------------------------------------------------ the talk (see acd.talk)

    async def transfer_to_queue(self, call_id: str, agent_id: str | None, queue: str) -> None:
        """See :meth:`acd.talk.Talk.transfer_to_queue`."""
        await self._talk.transfer_to_queue(call_id, agent_id, queue)

    async def transfer_to_agent(self, call_id: str, agent_id: str | None, target_agent: str) -> None:
        """See :meth:`acd.talk.Talk.transfer_to_agent`."""
        await self._talk.transfer_to_agent(call_id, agent_id, target_agent)

    async def hold(self, call_id: str, agent_id: str | None) -> None:
        """See :meth:`acd.talk.Talk.hold`."""
        await self._talk.hold(call_id, agent_id)

    async def resume(self, call_id: str, agent_id: str | None) -> None:
        """See :meth:`acd.talk.Talk.resume`."""
        await self._talk.resume(call_id, agent_id)

    async def consult(
        self, call_id: str, agent_id: str | None, *, target_agent: str | None = None, queue: str | None = None
    ) -> None:
        """See :meth:`acd.talk.Talk.consult`."""
        await self._talk.consult(call_id, agent_id, target_agent=target_agent, queue=queue)

    async def complete_consult(self, call_id: str, agent_id: str | None) -> None:
        """See :meth:`acd.talk.Talk.complete_consult`."""
        await self._talk.complete_consult(call_id, agent_id)

    async def cancel_consult(self, call_id: str, agent_id: str | None) -> None:
        """See :meth:`acd.talk.Talk.cancel_consult`."""
        await self._talk.cancel_consult(call_id, agent_id)

    # ---------------------------------------------------- outbound calls (see outbound.dialer)

    def agents_of(self, queue: str) -> list[AgentView]:
        """The agents who take ``queue``'s calls, in their current states."""
        return [self.acd.agent(a.id) for a in self.acd.agent_configs() if queue in a.queues]

    def reserve_agent(self, reservation_id: str, queue: str, agent_id: str | None = None) -> str | None:
        """Hold a ready agent for an outbound call being dialled (see :meth:`acd.core.Acd.reserve`); the
        answered customer reaches them through :meth:`wait_in_queue` with ``call_id`` = ``reservation_id``."""
        with refused_by_core():
            agent, fx = self.acd.reserve(reservation_id, queue, agent_id)
        self._apply(fx)
        return agent

    def release_agent(self, agent_id: str, reservation_id: str) -> None:
        """The outbound call reached nobody to talk to: the agent held for it is free again."""
        self._core(lambda: self.acd.release(agent_id, reservation_id))

    def holds(self, agent_id: str, reservation_id: str) -> bool:
        """Whether ``agent_id`` is still held for ``reservation_id`` (not logged out or forced away meanwhile)."""
        view = self._view(agent_id)
        return view.state is AgentState.RESERVED and view.call_id == reservation_id

    # ------------------------------------------------------------ callers from the IVR (see acd.queue_wait)

    async def wait_in_queue(self, session: AgiSession, outcome: IvrOutcome, agent_id: str | None = None) -> None:
        """See :meth:`acd.queue_wait.QueueWait.wait_in_queue`."""
        await self._wait.wait_in_queue(session, outcome, agent_id)

    async def callback_from_ivr(self, session: AgiSession, outcome: IvrOutcome) -> None:
        """See :meth:`acd.queue_wait.QueueWait.callback_from_ivr`."""
        await self._wait.callback_from_ivr(session, outcome)

    async def resume_session(self, session: AgiSession) -> None:
        """Route ``resume``: a re-adopted caller, redirected here after a restart (or back from the
        dialplan's holding loop), waits on; the caller of a re-adopted talk is held until resumed.

        A session from the holding loop that comes before :meth:`readopt` has run waits for it.
        """
        if not self._readopted.is_set():
            self._early_resumes.add(session.channel)
            try:
                await self._readopted.wait()
            finally:
                self._early_resumes.discard(session.channel)
        leg = self._legs.on_channel(session.channel)
        if leg is None:
            await turn_away(session, log, "resume: no call on %s (call %s)", session.channel, session.env.extension)
            return
        if leg.out_of_dial:
            await self._talk.came_back(session, leg)
            return
        leg.session = session
        await self._wait.serve(session, leg)

    async def transfer(self, session: AgiSession) -> None:
        """Route ``transfer``: a caller blind-transferred away from an agent waits in the new queue."""
        call_id = session.env.extension or ""
        pending = self._legs.take_transfer(call_id, session.channel)
        if pending is None:
            await turn_away(session, log, "transfer: no transfer of %r in progress on %s", call_id, session.channel)
            return
        await self._wait.wait_in_queue(session, pending.outcome, pending.agent_id)

    # ------------------------------------------------------------------- decisions

    def _apply(self, fx: Effects) -> None:
        if self._pbx.stopped:
            return
        for decision in fx.decisions:
            if isinstance(decision, Offer):
                self._wait.offer(decision)
            elif isinstance(decision, OriginateCallback):
                self._wait.originate_callback(decision)
        saved_early = []
        for event in fx.events:
            if isinstance(event, CallEnded) and event.agent_id is not None:
                early = self._early.pop((event.call_id, event.agent_id), None)
                if event.outcome in ("answered", "transferred"):
                    self._remember_undisposed(event.call_id, event.agent_id)
                    self._wrapping_up[event.agent_id] = event.call_id
                    if early is not None:
                        saved_early.append((event.call_id, event.agent_id, *early))
            self.bus.publish(event)
        for call_id, agent_id, disposition, notes in saved_early:
            self._save_disposition(call_id, agent_id, disposition, notes)
        self._wake.set()

    def _remember_undisposed(self, call_id: str, agent_id: str) -> None:
        self._undisposed[call_id, agent_id] = None
        while len(self._undisposed) > UNDISPOSED_KEPT:
            self._undisposed.popitem(last=False)

    def _view(self, agent_id: str) -> AgentView:
        with refused_by_core():
            return self.acd.agent(agent_id)

    def _core(self, operation: Callable[[], Effects]) -> None:
        with refused_by_core():
            fx = operation()
        self._apply(fx)

    # ---------------------------------------------------------------- PBX events

    def _on_pbx_event(self, event: DomainEvent) -> None:
        if isinstance(event, DialStarted):
            leg = self._legs.on_channel(event.channel or "")
            if leg is not None and leg.ringing is not None:
                leg.dial_channel = event.dest_channel
                # The agent logged out, or the consultation was called off, before the Dial got going.
                if leg.ringing is not leg.offer or leg.called_off:
                    self._pbx.spawn(self._pbx.hang_up(event.dest_channel))
        elif isinstance(event, DialEnded):
            leg = self._legs.on_channel(event.channel or "")
            if leg is not None and leg.ringing is not None and leg.ringing is leg.offer \
                    and leg.phase is LegPhase.QUEUED and event.dial_status == "ANSWER":
                self._wait.answered(leg)
        elif isinstance(event, ChannelHungUp):
            self._legs.drop_transfer_on(event.channel)
            self._channel_gone(event.channel)
        elif isinstance(event, OriginateResult):
            self._wait.originate_result(event)

    def _channel_gone(self, channel: str) -> None:
        """Backstop: whatever the sessions saw (or did not), the channel is gone."""
        leg = self._legs.on_channel(channel)
        if leg is not None:
            if leg.consult_for is not None:
                self._talk.consult_over(leg, agent_gone=True)  # the consulting agent's line went
            elif leg.out_of_dial:
                consult = leg.consult
                self._talk.end_bridged_talk(leg, hang_up_caller=False)
                if consult is not None:  # nothing left to consult about
                    self._pbx.spawn(self._talk.call_off(consult))
            else:
                self._legs.release(leg)
                self._apply(self.acd.hangup(leg.call_id))
        talk = self._legs.on_agent_line(channel)
        if talk is not None and self._legs.holds(talk) and talk.out_of_dial:
            if talk.phase is LegPhase.HELD:
                self._talk.requeue(talk)
            else:  # the agent's line left a re-bridged talk: the talk is over, the caller let go
                self._talk.end_bridged_talk(talk, hang_up_caller=True)

    # -------------------------------------------------------------------- timer

    async def _run_timer(self) -> None:
        """Run the core's deadlines (escalations, wrap-up ends) for as long as the service lives.

        A failing tick is logged and the loop carries on: a dead timer would stop every later deadline.
        """
        while True:
            try:
                deadline = self.acd.next_deadline()
                self._wake.clear()
                timeout = None if deadline is None else max(0.0, deadline - self.clock()) / self.time_scale
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                if deadline is not None and self.clock() >= deadline:
                    self._apply(self.acd.tick())
            except Exception:
                log.exception("ACD timer: a tick failed; carrying on")
                await asyncio.sleep(TIMER_RETRY_SECONDS)

"""The ACD service: carries out the core's decisions over Asterisk (FastAGI for the call, AMI out of band).

A caller who leaves the IVR for a queue stays in :meth:`AcdService.wait_in_queue` (music on hold in
slices, position and estimated-wait announcements, a "press 1 for a call-back" window). When the core
offers the call to an agent while the caller waits, the running AGI command is broken with an AMI
Redirect to ``callcenter-connect``/<agent id>; Asterisk then opens a new FastAGI session there and
:meth:`AcdService.connect` rings the agent's phone. An offer made while no wait command runs (on
arrival, or right after a missed ring) is rung at once in the same session.

The agent answering is seen on AMI (``DialEnd`` with ``ANSWER``) while ``Dial`` keeps the bridge; the
``Dial`` returning ends the talk. A ring the agent does not take sends the call back to its place and
the same session waits again. A blind transfer to another queue ends the agent's part at once (``CallEnded``
with outcome ``transferred``, wrap-up as after any call) and redirects the caller to
``callcenter-transfer``/<call id>, where :meth:`AcdService.transfer` queues the same call again (fresh
wait, same customer data) and waits on as a new caller would. A channel hang-up seen on AMI is the
backstop for every step, so no reservation outlives its caller.

Hold and consultation: the talk leaves its Dial. :meth:`AcdService.hold` moves both sides with one AMI
Redirect (caller to ``callcenter-talk``/<call id>, agent's line to ``callcenter-held``/<agent id>); the
caller's ``talk`` session plays music while held and otherwise runs ``Bridge`` with the agent's line, so
:meth:`AcdService.resume` only has to send the caller to a fresh ``talk`` session. From then on neither
side's hang-up ends the other by itself: the service hangs up whoever is left. A consultation is a call of
its own in the core (pinned to the colleague, or waiting in a queue, with the caller's data and
``consult_of``), whose "caller" is the agent's line, redirected to ``callcenter-consult``/<agent id> where a
``consult`` session waits and rings exactly as for a caller. Completing it re-keys the caller's leg to the
consultation call and bridges the caller with the colleague's line (Asterisk's ``Bridge`` takes it out of
the agent's Dial, which returns; the agent's line is hung up); a cancelled or failed consultation leaves the
agent's line in ``callcenter-held`` and the caller is bridged back with it.

Call-backs: when the core decides :class:`~acd.decisions.OriginateCallback` the service originates to
the customer into ``callcenter-callback``/<call id>; :meth:`AcdService.callback` then rings the agent.

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
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Coroutine, Iterable

from acd.agents import AgentState, AgentView, IllegalTransition
from acd.calls import CallStatus
from acd.control import AgentControlRefused
from acd.core import Acd
from acd.decisions import Effects, Offer, OriginateCallback, Refused
from acd.errors import AcdError
from acd.events import CallDisposed, CallEnded, ConsultEnded, ConsultStarted
from acd.prompts import CALLBACK_CONFIRMED, CALLBACK_LATER, CALLBACK_OFFER
from acd.readopt import (
    ADOPT_VARIABLES,
    AGENT_LINE_VARIABLE,
    CALL_ID_VARIABLE,
    BadCallVariables,
    ChannelCall,
    RestorePlan,
    channel_variables,
    parse_channel,
    plan_restore,
)
from asterisk_conf.dialstring import callback_number
from bus.clock import Clock
from bus.eventbus import EventBus
from bus.events import DomainEvent
from bus.tasks import TaskSet
from cti.agi import AgiError, AgiHangup, AgiInterrupted, AgiPlaybackFailed, AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiError
from cti.ami.events import ChannelHungUp, DialEnded, DialStarted, OriginateResult
from ivr.outcome import IvrOutcome, OutcomeKind

log = logging.getLogger(__name__)

CONNECT_CONTEXT = "callcenter-connect"
CALLBACK_CONTEXT = "callcenter-callback"
RESUME_CONTEXT = "callcenter-resume"
TRANSFER_CONTEXT = "callcenter-transfer"
TALK_CONTEXT = "callcenter-talk"
HELD_CONTEXT = "callcenter-held"
CONSULT_CONTEXT = "callcenter-consult"
CONSULT_OFFERED = "consult-offered"  # interruption of a consultation's wait: an agent was offered it
AGENT_VARIABLE = "CC_AGENT"
# DIALSTATUS -> the core's offer failure reason; CANCEL means the caller hung up while it rang.
DIAL_FAILURES = {"NOANSWER": "no_answer", "BUSY": "busy", "CHANUNAVAIL": "failed", "CONGESTION": "failed"}
UNDISPOSED_KEPT = 10_000
# Real seconds the timer rests after a failed tick, so a deadline that keeps failing cannot spin the loop.
TIMER_RETRY_SECONDS = 1.0
EARLY_ORIGINATE_RESULTS_KEPT = 1_000


@dataclasses.dataclass(frozen=True, slots=True)
class WaitPrompts:
    """Sound files (no extension) the wait plays; the defaults are Asterisk's standard English set
    except the call-back ones, which ``callcenter acd-prompts`` speaks into it (see :mod:`acd.prompts`)."""

    you_are_next: str = "queue-youarenext"
    there_are: str = "queue-thereare"
    calls_waiting: str = "queue-callswaiting"
    hold_time: str = "queue-holdtime"
    minutes: str = "queue-minutes"
    less_than: str = "queue-less-than"
    callback_offer: str = CALLBACK_OFFER
    callback_confirmed: str = CALLBACK_CONFIRMED
    callback_retry: str = CALLBACK_LATER
    refused: str = "ss-noservice"
    goodbye: str = "vm-goodbye"


@dataclasses.dataclass(frozen=True, slots=True)
class AcdServiceSettings:
    """Timings of the wait (seconds of PBX time) and how to reach phones and customers."""

    music_class: str = "default"
    music_slice: int = 10
    announce_every: float = 30.0
    callback_offer_every: float = 60.0  # 0: never offer a call-back
    callback_digit_ms: int = 3000
    ring_timeout: int = 20
    # Dial string of a customer for a call-back; ``{number}`` is replaced by the number to call (always
    # '+'? and digits, see acd.config.callback_number). The shipped dialplan's [callcenter-outbound]
    # context dials it through the site's trunk (callcenter asterisk-config --trunk).
    callback_dial: str = "Local/{number}@callcenter-outbound"
    callback_timeout: int = 30
    prompts: WaitPrompts = dataclasses.field(default_factory=WaitPrompts)


@dataclasses.dataclass(slots=True, eq=False)
class _Leg:
    """A call's channel under our control: the session driving it now and the offer being rung."""

    call_id: str
    channel: str
    session: AgiSession | None = None
    offer: Offer | OriginateCallback | None = None
    waiting: bool = False  # the session is inside the interruptible wait
    ringing: Offer | OriginateCallback | None = None  # the offer whose Dial runs now
    dial_channel: str | None = None  # the agent's leg of that Dial, once Asterisk names it
    connected: bool = False
    callback_to: str | None = None  # where to call the caller back, if they ask
    parked: bool = False  # re-adopted, no session of ours and none on its way yet
    # We redirected the channel: a session that came before the move ends with a hang-up signal too.
    redirected: bool = False
    transferred: bool = False  # blind-transferred away: this leg's session just lets go
    agent_channel: str | None = None  # the agent's side of the talk, once answered
    # The talk left its Dial (held, consulting, or bridged again by a ``talk`` session): Asterisk no longer
    # ends one side when the other goes, we do.
    bridged: bool = False
    held: bool = False
    consult: _Leg | None = None  # on a caller's leg: the consultation under way, its agent's leg
    consult_for: _Leg | None = None  # on a consultation's leg: the caller's leg it is about
    consulting_agent: str | None = None  # on a consultation's leg: the agent who asks
    cancelled: bool = False  # a consultation the agent called off
    handed_over: bool = False  # a consultation completed: the caller now talks to the colleague


@dataclasses.dataclass(frozen=True, slots=True)
class _PendingTransfer:
    """A caller redirected to ``callcenter-transfer``: where they go and what the call carries along."""

    channel: str
    outcome: IvrOutcome
    agent_id: str | None = None  # to this agent if ready, else to the queue


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
        self._legs: dict[str, _Leg] = {}
        self._by_channel: dict[str, _Leg] = {}
        # (call id, agent id) of ended talks not yet disposed; a transferred call has one per agent.
        self._undisposed: collections.OrderedDict[tuple[str, str], None] = collections.OrderedDict()
        self._wrapping_up: dict[str, str] = {}  # agent id -> the call whose wrap-up they are in
        self._originates: dict[str, str] = {}  # AMI ActionID -> call id of a call-back being dialled
        self._early_results: collections.OrderedDict[str, OriginateResult] = collections.OrderedDict()
        self._tasks = TaskSet("ACD", log)
        self._wake = asyncio.Event()
        self._readopted = asyncio.Event()
        self._early_resumes: set[str] = set()  # channels whose 'resume' session waits for readopt
        self._transfers: dict[str, _PendingTransfer] = {}  # call id -> caller on the way to its new queue
        self._by_agent_channel: dict[str, _Leg] = {}  # agent side of a talk out of its Dial -> caller's leg
        self._consults = 0
        self._timer: asyncio.Task[None] | None = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    def register_routes(self) -> None:
        """Route the ``connect``, ``callback``, ``resume``, ``transfer``, ``talk`` and ``consult`` FastAGI
        scripts of the dialplan to this service."""
        self.agi.route("connect", self.connect)
        self.agi.route("callback", self.callback)
        self.agi.route("resume", self.resume_session)
        self.agi.route("transfer", self.transfer)
        self.agi.route("talk", self.talk_session)
        self.agi.route("consult", self.consult_session)

    async def start(self) -> None:
        """Listen to the PBX's events and run the timer for escalations and wrap-up ends."""
        self.bus.add_listener(self._on_pbx_event, ChannelHungUp, DialStarted, DialEnded, OriginateResult)
        self._timer = asyncio.create_task(self._run_timer(), name="acd-timer")

    async def close(self) -> None:
        """Stop deciding: a FastAGI session still running after this changes nothing and publishes nothing
        (another service, on this node or another, may own the calls already)."""
        self._closed = True
        self.bus.remove_listener(self._on_pbx_event)
        if self._timer is not None:
            self._timer.cancel()
            await asyncio.gather(self._timer, return_exceptions=True)
            self._timer = None
        await self._tasks.cancel_all()

    async def readopt(self, history: Iterable[DomainEvent]) -> RestorePlan:
        """Take over the calls a previous service left in Asterisk; call once, after :meth:`start`
        (``resume`` sessions wait until it has run).

        ``history`` is the event log in log order (at least the ACD's call events and
        ``AgentStateChanged``): agents get their last state back, call-backs waiting without a channel
        keep their place, and calls whose channel vanished meanwhile are closed (abandoned or ended).
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
            connected = call.call_id in plan.connected
            # A talk a previous service left runs on without us (its Dial or Bridge outlives the session):
            # either side's hang-up, or the caller coming back to the dialplan, is ours to act on.
            leg = _Leg(call.call_id, call.channel, connected=connected, callback_to=call.callback_to,
                       parked=not connected and call.channel not in self._early_resumes,
                       bridged=connected, agent_channel=call.agent_line if connected else None)
            if leg.agent_channel is not None:
                self._by_agent_channel[leg.agent_channel] = leg
            self._legs[call.call_id] = leg
            self._by_channel[call.channel] = leg
            legs.append(leg)
        self._apply(self.acd.restore(plan.snapshot))  # offers redirect their parked channel to connect
        for leg in legs:
            if leg.parked:
                leg.parked = False
                leg.redirected = True
                self._spawn(self._redirect(leg.channel, RESUME_CONTEXT, leg.call_id))
        self._readopted.set()
        log.info("re-adopted %d calls (%d talking), closed %d, restored %d agents", len(legs),
                 len(plan.connected), len(plan.closed), len(plan.snapshot["agents"]))
        return plan

    # ------------------------------------------------------------- agent control

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
            self._spawn(self._hang_up(leg.dial_channel))
        # else the Dial is not under way yet: DialStarted hangs its leg up when it comes

    async def dispose(self, call_id: str, agent_id: str, disposition: str, notes: str) -> None:
        """Save the wrap-up of a call the agent ended: publishes CallDisposed and ends the wrap-up."""
        if (call_id, agent_id) not in self._undisposed:
            raise AgentControlRefused(f"agent {agent_id} has no call {call_id} to dispose")
        del self._undisposed[call_id, agent_id]
        self.bus.publish(CallDisposed(at=self.clock(), call_id=call_id, agent_id=agent_id,
                                      disposition=disposition, notes=notes))
        # Disposing an earlier call must not cut the wrap-up of the one just ended short.
        if self._view(agent_id).state is AgentState.WRAP_UP and self._wrapping_up.get(agent_id) == call_id:
            del self._wrapping_up[agent_id]
            self._core(lambda: self.acd.end_wrap_up(agent_id))

    async def transfer_to_queue(self, call_id: str, agent_id: str | None, queue: str) -> None:
        """Blind-transfer a talking call to ``queue``: the agent's part ends now (``CallEnded`` with
        outcome ``transferred``, then wrap-up) and the caller is redirected to wait in ``queue``.

        ``agent_id`` is the agent who asks (their own call only); None for a supervisor (any call).
        """
        if all(q.name != queue for q in self.acd.config.queues):
            raise AgentControlRefused(f"no queue {queue!r}")
        await self._blind_transfer(self._talking_leg(call_id, agent_id), queue, None)

    async def transfer_to_agent(self, call_id: str, agent_id: str | None, target_agent: str) -> None:
        """Blind-transfer a talking call to ``target_agent``, who must be ready now; should they no longer
        be ready when the caller arrives, or not answer, the caller waits in the call's queue."""
        leg = self._talking_leg(call_id, agent_id)
        call = self.acd.call(call_id)
        self._check_colleague(call.agent_id, target_agent)
        await self._blind_transfer(leg, call.queue, target_agent)

    async def _blind_transfer(self, leg: _Leg, queue: str, target_agent: str | None) -> None:
        if leg.consult is not None:
            raise AgentControlRefused(f"call {leg.call_id} has a consultation under way: complete or cancel it")
        if leg.session is None:
            raise AgentControlRefused(f"call {leg.call_id} is moving or not under a session of ours")
        call_id = self._leave_for_queue(leg, queue, target_agent)
        try:
            await self.ami.redirect(leg.channel, TRANSFER_CONTEXT, call_id, 1)
        except AmiError as exc:
            # Mostly the caller hung up just now; the agent's part is over either way.
            self._transfers.pop(call_id, None)
            raise AgentControlRefused(f"could not move call {call_id} to {queue}: {exc}") from exc

    def _requeue(self, leg: _Leg) -> None:
        """The agent's line went while the caller was on hold: the caller waits in the call's queue again
        (as after a blind transfer there) rather than being cut off."""
        call_id = self._leave_for_queue(leg, self.acd.call(leg.call_id).queue, None)
        log.info("call %s: the agent's line is gone while the caller held; queued again", call_id)
        self._spawn(self._redirect(leg.channel, TRANSFER_CONTEXT, call_id))

    def _leave_for_queue(self, leg: _Leg, queue: str, target_agent: str | None) -> str:
        """End the agent's part of a talking call (``transferred``) and expect its caller in
        ``callcenter-transfer``, bound for ``queue`` (``target_agent`` first) with its data; the caller's
        move is the caller's to make. Returns the call id."""
        call = self.acd.call(leg.call_id)
        outcome = IvrOutcome(kind=OutcomeKind.QUEUE, call_id=call.call_id, caller=call.caller, queue=queue,
                             priority=call.priority, callback_number=leg.callback_to)
        # Marked before anything else: the Dial the redirect breaks must not end the call in the core.
        leg.transferred = True
        leg.redirected = True
        if leg.session is not None:
            leg.session.expect_interrupt("transfer")
        agent_channel = leg.agent_channel if leg.bridged else None  # out of Dial, nobody hangs it up but us
        self._release(leg)
        self._transfers[call.call_id] = _PendingTransfer(leg.channel, outcome, target_agent)
        self._apply(self.acd.transfer_out(call.call_id))
        if agent_channel is not None:
            self._spawn(self._hang_up(agent_channel, maybe_gone=True))
        return call.call_id

    # ------------------------------------------------------------ hold and consult

    async def hold(self, call_id: str, agent_id: str | None) -> None:
        """Put the caller of a talking call on hold: both sides leave the Dial bridge, the caller for music
        in ``callcenter-talk``, the agent's line for silence in ``callcenter-held``."""
        leg = self._talking_leg(call_id, agent_id)
        if leg.held:
            raise AgentControlRefused(f"call {call_id} is on hold already")
        await self._hold(leg, HELD_CONTEXT)

    async def resume(self, call_id: str, agent_id: str | None) -> None:
        """Bring the caller on hold back to the agent (a ``talk`` session bridges them again)."""
        leg = self._talking_leg(call_id, agent_id)
        if not leg.held:
            raise AgentControlRefused(f"call {call_id} is not on hold")
        if leg.consult is not None:
            raise AgentControlRefused(f"call {call_id} has a consultation under way: complete or cancel it")
        await self._resume(leg)

    async def consult(
        self, call_id: str, agent_id: str | None, *, target_agent: str | None = None, queue: str | None = None
    ) -> None:
        """Hold the caller and call ``target_agent`` or ``queue`` about the call from the agent's line.

        The colleague's side is a call of its own (``<call id>-consult-<n>``, pinned to ``target_agent``
        or waiting in ``queue`` with the caller's data), which the agent's line waits on and rings from a
        ``consult`` session. :meth:`complete_consult` hands the caller over; :meth:`cancel_consult`, the
        colleague not answering or leaving bring the agent back to the caller.
        """
        leg = self._talking_leg(call_id, agent_id)
        if (target_agent is None) == (queue is None):
            raise AgentControlRefused("consult either an agent or a queue")
        if leg.consult is not None:
            raise AgentControlRefused(f"call {call_id} has a consultation under way already")
        call = self.acd.call(call_id)
        if target_agent is not None:
            self._check_colleague(call.agent_id, target_agent)
        elif all(q.name != queue for q in self.acd.config.queues):
            raise AgentControlRefused(f"no queue {queue!r}")
        assert leg.agent_channel is not None and call.agent_id is not None  # _talking_leg checked
        self._consults += 1
        consult = _Leg(f"{call_id}-consult-{self._consults}", leg.agent_channel, consult_for=leg,
                       consulting_agent=call.agent_id)
        self._legs[consult.call_id] = consult
        try:
            fx = self.acd.enqueue(consult.call_id, queue or call.queue, priority=call.priority, caller=call.caller,
                                  agent_id=target_agent, consult_of=call_id)
        except AcdError as exc:
            self._release(consult)
            raise AgentControlRefused(str(exc)) from exc
        refused = next((d for d in fx.decisions if isinstance(d, Refused)), None)
        if refused is not None:
            self._release(consult)
            raise AgentControlRefused(f"{target_agent or queue} cannot take a consultation now ({refused.reason})")
        leg.consult = consult
        self._apply(fx)
        self.bus.publish(ConsultStarted(at=self.clock(), call_id=call_id, agent_id=call.agent_id,
                                        consult_id=consult.call_id, target_agent=target_agent, target_queue=queue))
        # The consult session finds its leg by the agent's channel, which from now on carries the consultation.
        self._by_channel[leg.agent_channel] = consult
        self._by_agent_channel.pop(leg.agent_channel, None)
        try:
            if not leg.held:
                await self._hold(leg, CONSULT_CONTEXT)
            else:
                await self.ami.redirect(leg.agent_channel, CONSULT_CONTEXT, call.agent_id, 1)
        except (AmiError, AgentControlRefused) as exc:
            consult.cancelled = True
            self._consult_over(consult)
            raise AgentControlRefused(f"could not start the consultation: {exc}") from exc

    async def complete_consult(self, call_id: str, agent_id: str | None) -> None:
        """Attended transfer: the caller on hold is bridged with the colleague the agent is talking to;
        the agent's part ends (``transferred``) and the caller's leg carries the consultation call on."""
        leg = self._talking_leg(call_id, agent_id)
        consult = leg.consult
        if consult is None or consult.cancelled or not consult.connected or consult.agent_channel is None:
            raise AgentControlRefused(f"call {call_id} has no consultation with a colleague on the line")
        call = self.acd.call(call_id)
        consult.handed_over = True
        leg.consult = None
        self._apply(self.acd.transfer_out(call_id))
        self.bus.publish(ConsultEnded(at=self.clock(), call_id=call_id, agent_id=call.agent_id or "",
                                      consult_id=consult.call_id, outcome="completed"))
        # The caller's leg now carries the consultation call, talking to the colleague's line.
        if self._legs.get(call_id) is leg:
            del self._legs[call_id]
        leg.call_id = consult.call_id
        self._legs[leg.call_id] = leg
        leg.agent_channel = consult.agent_channel
        self._by_agent_channel[consult.agent_channel] = leg
        self._spawn(self._note_agent_line(leg.channel, consult.agent_channel))
        leg.held = False
        await self._move_caller(leg, "complete")

    async def cancel_consult(self, call_id: str, agent_id: str | None) -> None:
        """Call the consultation off: the colleague's phone stops ringing (or their line is hung up, or the
        wait in their queue ends) and the agent is bridged back with the caller."""
        leg = self._talking_leg(call_id, agent_id)
        consult = leg.consult
        if consult is None or consult.cancelled:
            raise AgentControlRefused(f"call {call_id} has no consultation under way")
        await self._call_off(consult)

    async def _call_off(self, consult: _Leg) -> None:
        """Stop a consultation wherever it is; its session then ends it (:meth:`_consult_over`)."""
        consult.cancelled = True
        if consult.connected and consult.agent_channel is not None:
            await self._hang_up(consult.agent_channel, maybe_gone=True)  # the consult session's Dial returns
        elif consult.ringing is not None:
            if consult.dial_channel is not None:
                await self._hang_up(consult.dial_channel, maybe_gone=True)
            # else DialStarted hangs the colleague's leg up when it comes
        elif consult.session is not None:
            # Waiting in a queue: move the agent's line out of the music; the session ends interrupted.
            consult.session.expect_interrupt("cancel")
            await self._redirect(consult.channel, HELD_CONTEXT, consult.consulting_agent or "")
        # else the agent's line is on its way to the consult session, which sees the cancellation

    async def talk_session(self, session: AgiSession) -> None:
        """Route ``talk``: the caller of a talk that left its Dial. On hold it hears music until moved;
        otherwise the session bridges it with the agent's line until one of them leaves."""
        leg = self._by_channel.get(session.channel)
        if leg is None or not leg.bridged:
            log.warning("talk: no held or bridged call on %s; hanging up", session.channel)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        leg.session = session
        try:
            # After each command: a caller we moved meanwhile belongs to the next session (Asterisk ends the
            # running application with result -1 and may still run a command before the hang-up signal).
            while leg.held:
                await session.exec("MusicOnHold", self.settings.music_class, str(self.settings.music_slice))
                if leg.session is not session:
                    return
            await session.exec("Bridge", leg.agent_channel or "")
            if leg.session is not session:
                return
            result = await session.get_variable("BRIDGERESULT")
            log.info("call %s: the bridge with the agent's line ended (%s)", leg.call_id, result)
            if result != "SUCCESS" and self._legs.get(leg.call_id) is leg:
                self._requeue(leg)  # the agent's line vanished while the caller held: never cut the caller off
                return
        except AgiInterrupted:
            if leg.session is session:
                leg.session = None  # moved on purpose: the next session takes over
            return
        except AgiHangup:
            return  # the caller left: ChannelHungUp ends the call and hangs the agent's line up
        if self._legs.get(leg.call_id) is leg:
            # One side left (Asterisk may end Bridge() normally whichever it was): the talk is over.
            self._end_bridged_talk(leg, hang_up_caller=False)
        with contextlib.suppress(AgiError):
            await session.hangup()

    async def consult_session(self, session: AgiSession) -> None:
        """Route ``consult``: the consulting agent's line rings the colleague (or waits in their queue) and
        talks with them; when this ends without a hand-over the agent is bridged back with the caller."""
        consult = self._by_channel.get(session.channel)
        if consult is None or consult.consult_for is None:
            log.warning("consult: no consultation on %s; hanging up", session.channel)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        consult.session = session
        caller = consult.consult_for
        if not consult.cancelled:
            await self._serve(session, consult)
            if session.interrupt_reason == CONSULT_OFFERED and not consult.cancelled:
                return  # moved out of the wait in the colleague's queue to ring them: a new session does
        # The session may hear of the agent's line hanging up before AMI tells the rest of us.
        self._consult_over(consult, agent_gone=session.hung_up and session.interrupt_reason is None)
        if consult.handed_over or caller is None or self._legs.get(caller.call_id) is not caller:
            with contextlib.suppress(AgiError):
                await session.hangup()  # the agent's part is over; otherwise the dialplan holds the line

    def _consult_over(self, consult: _Leg, *, agent_gone: bool = False) -> None:
        """End a consultation's leg. Unless it was handed over, the agent goes back to the caller; a caller
        whose agent's line is gone (``agent_gone``) waits in the queue again instead."""
        caller = consult.consult_for
        self._release(consult)
        consult.consult_for = None
        if consult.handed_over or caller is None or self._closed:
            return
        self._apply(self.acd.end_consult(consult.call_id))
        if caller.consult is not consult:
            return
        caller.consult = None
        self.bus.publish(ConsultEnded(at=self.clock(), call_id=caller.call_id,
                                      agent_id=consult.consulting_agent or "", consult_id=consult.call_id,
                                      outcome="cancelled" if consult.cancelled else "failed"))
        if self._legs.get(caller.call_id) is not caller or caller.agent_channel is None:
            return  # the caller is gone: the consult session hangs the agent's line up
        if agent_gone:
            self._requeue(caller)
            return
        self._by_agent_channel[caller.agent_channel] = caller
        self._spawn(self._resume(caller))

    async def _hold(self, leg: _Leg, agent_context: str) -> None:
        """Move the caller to music in ``callcenter-talk`` and the agent's line to ``agent_context``."""
        assert leg.agent_channel is not None
        agent_id = self.acd.call(leg.call_id).agent_id or ""
        was_bridged = leg.bridged
        # Set before the move: the talk session may arrive before the AMI response does.
        leg.held = True
        leg.bridged = True
        if leg.consult is None:
            self._by_agent_channel[leg.agent_channel] = leg
        if leg.session is not None:
            leg.session.expect_interrupt("hold")
            leg.session = None
        try:
            await self.ami.redirect(leg.channel, TALK_CONTEXT, leg.call_id, 1, leg.agent_channel,
                                    extra_context=agent_context, extra_exten=agent_id)
        except AmiError as exc:
            leg.held = False
            leg.bridged = was_bridged
            raise AgentControlRefused(f"could not put call {leg.call_id} on hold: {exc}") from exc
        self._apply(self.acd.hold(leg.call_id))

    async def _resume(self, leg: _Leg) -> None:
        if not leg.held:
            return
        leg.held = False
        self._apply(self.acd.resume(leg.call_id))
        await self._move_caller(leg, "resume")

    async def _move_caller(self, leg: _Leg, reason: str) -> None:
        """Send the caller to a fresh ``talk`` session, which reads what to do from the leg. A caller on
        its way there (no session yet) needs no move: the session it gets reads the leg as it is."""
        session = leg.session
        if session is None:
            return
        session.expect_interrupt(reason)
        leg.session = None
        await self._redirect(leg.channel, TALK_CONTEXT, leg.call_id)

    def _end_bridged_talk(self, leg: _Leg, *, hang_up_caller: bool) -> None:
        """A talk out of its Dial is over: end it in the core and hang up the side that may still be there:
        the caller when told so, else the agent's line (unless it is consulting a colleague)."""
        self._release(leg)
        self._apply(self.acd.hangup(leg.call_id))
        if hang_up_caller:
            self._spawn(self._hang_up(leg.channel))
        elif leg.agent_channel is not None and leg.consult is None:
            self._spawn(self._hang_up(leg.agent_channel, maybe_gone=True))

    def _talking_leg(self, call_id: str, agent_id: str | None) -> _Leg:
        """The caller's leg of a call talking to ``agent_id`` (any agent when None), or refused."""
        try:
            call = self.acd.call(call_id)
        except AcdError as exc:
            raise AgentControlRefused(str(exc)) from exc
        if call.status is not CallStatus.CONNECTED or (agent_id is not None and call.agent_id != agent_id):
            raise AgentControlRefused(f"call {call_id} is not talking to {agent_id or 'an agent'}")
        leg = self._legs.get(call_id)
        if leg is None or leg.consult_for is not None:
            raise AgentControlRefused(f"call {call_id} has no caller channel here")
        if leg.agent_channel is None:
            raise AgentControlRefused(f"call {call_id}: the agent's line is not known (re-adopted talk)")
        return leg

    def _check_colleague(self, agent_id: str | None, target_agent: str) -> None:
        if target_agent == agent_id:
            raise AgentControlRefused("that is the call's own agent")
        if self._view(target_agent).state is not AgentState.READY:
            raise AgentControlRefused(f"agent {target_agent} is not ready")

    def _view(self, agent_id: str) -> AgentView:
        try:
            return self.acd.agent(agent_id)
        except AcdError as exc:
            raise AgentControlRefused(str(exc)) from exc

    def _core(self, operation: Callable[[], Effects]) -> None:
        try:
            fx = operation()
        except (AcdError, IllegalTransition) as exc:
            raise AgentControlRefused(str(exc)) from exc
        self._apply(fx)

    # ------------------------------------------------------------ the wait in queue

    def _enqueue(self, outcome: IvrOutcome, agent_id: str | None = None) -> Refused | None:
        """Queue the call the IVR hands over (pinned to ``agent_id`` if given); the refusal, if the queue
        (or that agent) would not take it."""
        if outcome.queue is None:
            raise ValueError("IvrOutcome without a queue")
        fx = self.acd.enqueue(
            outcome.call_id, outcome.queue, priority=outcome.priority, skills=dict(outcome.skills) or None,
            caller=outcome.caller, agent_id=agent_id,
        )
        refused = next((d for d in fx.decisions if isinstance(d, Refused) and d.call_id == outcome.call_id), None)
        self._apply(fx)
        if refused is not None:
            log.info("call %s refused by queue %s: %s", outcome.call_id, refused.queue, refused.reason)
        return refused

    async def _refuse(self, session: AgiSession) -> None:
        with contextlib.suppress(AgiHangup, AgiPlaybackFailed):
            await session.stream_file(self.settings.prompts.refused)
            await session.stream_file(self.settings.prompts.goodbye)
            await session.hangup()

    async def callback_from_ivr(self, session: AgiSession, outcome: IvrOutcome) -> None:
        """The caller asked for a call-back in the IVR (which confirmed it): queue the request and hang up.

        A number we may not dial (see :func:`acd.config.callback_number`) gets no call-back: the caller
        waits in the queue instead.
        """
        number = callback_number(outcome.callback_number or outcome.caller.ani)
        if number is None:
            log.warning("call %s: no call-back to %r, the caller waits in the queue instead",
                        outcome.call_id, outcome.callback_number or outcome.caller.ani)
            await self.wait_in_queue(session, outcome)
            return
        if self._enqueue(outcome) is not None:
            await self._refuse(session)
            return
        self._apply(self.acd.request_callback(outcome.call_id, number))
        with contextlib.suppress(AgiHangup):
            await session.hangup()

    async def wait_in_queue(self, session: AgiSession, outcome: IvrOutcome, agent_id: str | None = None) -> None:
        """Queue the call the IVR hands over and keep the caller until an agent takes it (or they leave).

        ``agent_id``: offer it to that agent first; when they are not ready it waits in the queue.
        The channel must be answered already (the IVR does it): ``AGI()`` does not answer it.
        """
        call_id = outcome.call_id
        leg = self._adopt(call_id, session)
        try:
            refused = self._enqueue(outcome, agent_id)
            if refused is not None and agent_id is not None:
                refused = self._enqueue(outcome)
        except AcdError:
            self._release(leg)
            raise
        if refused is not None:
            self._release(leg)
            await self._refuse(session)
            return
        leg.callback_to = callback_number(outcome.callback_number or outcome.caller.ani)
        try:
            # Lets a restarted service re-adopt the call (see acd.readopt).
            for name, value in channel_variables(self.acd.call(call_id), leg.callback_to):
                await session.set_variable(name, value)
        except AgiHangup:
            self._apply(self.acd.hangup(call_id))
            self._release(leg)
            return
        await self._serve(session, leg)

    async def connect(self, session: AgiSession) -> None:
        """Route ``connect``: a waiting caller redirected here because an agent was offered the call."""
        leg = self._by_channel.get(session.channel)
        if leg is None:
            log.warning("connect: no call on %s (agent %s); hanging up", session.channel, session.env.extension)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        leg.session = session
        await self._serve(session, leg)

    async def resume_session(self, session: AgiSession) -> None:
        """Route ``resume``: a re-adopted waiting caller, redirected here after a restart, waits on.

        A session from the holding loop that comes before :meth:`readopt` has run waits for it.
        """
        if not self._readopted.is_set():
            self._early_resumes.add(session.channel)
            try:
                await self._readopted.wait()
            finally:
                self._early_resumes.discard(session.channel)
        leg = self._by_channel.get(session.channel)
        if leg is None:
            log.warning("resume: no call on %s (call %s); hanging up", session.channel, session.env.extension)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        if leg.connected and leg.bridged:
            await self._talk_came_back(session, leg)
            return
        leg.session = session
        await self._serve(session, leg)

    async def _talk_came_back(self, session: AgiSession, leg: _Leg) -> None:
        """The caller of a talk a previous service left is back in our dialplan: it was on hold (the agent's
        line still waits) and stays so until the agent resumes it, or its talk is over."""
        line = leg.agent_channel
        if line is not None and await session.channel_status(line) >= 0:
            leg.held = True
            with contextlib.suppress(AcdError):  # the restored core may know of the hold already
                self._apply(self.acd.hold(leg.call_id))
            await self.talk_session(session)
            return
        self._end_bridged_talk(leg, hang_up_caller=False)
        with contextlib.suppress(AgiError):
            await session.hangup()

    async def transfer(self, session: AgiSession) -> None:
        """Route ``transfer``: a caller blind-transferred away from an agent waits in the new queue."""
        call_id = session.env.extension or ""
        pending = self._transfers.get(call_id)
        if pending is None or pending.channel != session.channel:
            log.warning("transfer: no transfer of %r in progress on %s; hanging up", call_id, session.channel)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        del self._transfers[call_id]
        await self.wait_in_queue(session, pending.outcome, pending.agent_id)

    async def callback(self, session: AgiSession) -> None:
        """Route ``callback``: the customer of a call-back answered; ring the reserved agent."""
        call_id = session.env.extension or (await session.get_variable(CALL_ID_VARIABLE) or "")
        leg = self._legs.get(call_id)
        if leg is None or not isinstance(leg.offer, OriginateCallback):
            log.warning("callback: no call-back %r in progress on %s; hanging up", call_id, session.channel)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return
        leg.channel = session.channel
        leg.session = session
        self._by_channel[session.channel] = leg
        try:
            while leg.offer is not None:
                if await self._ring(session, leg):
                    return
            # Nobody free to take it now: the entry keeps its place and is called again later, on a
            # new leg (released first, so an offer made during the goodbye is not left on this one).
            self._release(leg)
            with contextlib.suppress(AgiError):
                await session.stream_file(self.settings.prompts.callback_retry)
                await session.hangup()
        except AgiHangup:
            self._apply(self.acd.hangup(call_id))  # a waiting call-back entry is left as it is
        finally:
            self._release(leg)

    async def _serve(self, session: AgiSession, leg: _Leg) -> None:
        """Ring while there is an offer, wait while there is none, until the call is over or moves on."""
        try:
            while True:
                if leg.offer is not None:
                    if await self._ring(session, leg):
                        return
                    continue
                leg.waiting = True
                try:
                    done = await self._wait(session, leg)
                finally:
                    leg.waiting = False
                if done:
                    return
        except AgiInterrupted:
            if leg.session is session:
                leg.session = None  # the connect session takes over
            return
        except AgiHangup:
            if leg.redirected:
                # Maybe our redirect broke a holding-loop session that came first: the next session
                # takes over, and a real hang-up still reaches the core as ChannelHungUp.
                if leg.session is session:
                    leg.session = None
                return
            if leg.handed_over:
                return  # the colleague's line was taken out of this Dial for the caller: the call lives on
            consulting = leg.consult_for is not None
            self._apply(self.acd.end_consult(leg.call_id) if consulting else self.acd.hangup(leg.call_id))
            self._release(leg)

    async def _wait(self, session: AgiSession, leg: _Leg) -> bool:
        """Hold the caller until interrupted; True when the caller took a call-back and was let go."""
        s = self.settings
        callback_number = leg.callback_to
        started = self.clock()
        last_announce = started
        last_offer = started
        while True:
            now = self.clock()
            if now - last_announce >= s.announce_every:
                last_announce = now
                await self._announce(session, leg.call_id)
            if callback_number and s.callback_offer_every > 0 and now - last_offer >= s.callback_offer_every:
                last_offer = now
                if await self._offer_callback(session, leg, callback_number):
                    return True
            await session.exec("MusicOnHold", s.music_class, str(s.music_slice))

    async def _announce(self, session: AgiSession, call_id: str) -> None:
        try:
            position = self.acd.position(call_id)
            wait = self.acd.estimated_wait(call_id)
        except AcdError:
            return  # offered meanwhile: the interruption is on its way
        p = self.settings.prompts
        try:
            if position <= 1:
                await session.stream_file(p.you_are_next)
            else:
                await session.stream_file(p.there_are)
                await session.say_number(position - 1)
                await session.stream_file(p.calls_waiting)
            if wait is not None and wait >= 60:
                await session.stream_file(p.hold_time)
                await session.say_number(math.ceil(wait / 60))
                await session.stream_file(p.minutes)
        except AgiPlaybackFailed as exc:
            log.warning("announcement prompt missing: %s", exc)

    async def _offer_callback(self, session: AgiSession, leg: _Leg, number: str) -> bool:
        p = self.settings.prompts
        try:
            digit, _ = await session.stream_file(p.callback_offer, "1")
            if digit is None:
                digit = await session.wait_for_digit(self.settings.callback_digit_ms)
        except AgiPlaybackFailed as exc:
            log.warning("call-back offer prompt missing: %s", exc)
            return False
        if digit != "1":
            return False
        try:
            fx = self.acd.request_callback(leg.call_id, number)
        except AcdError:
            return False  # offered to an agent meanwhile: the caller is connected instead
        # From here the entry lives on without a channel; the caller's hang-up must not abandon it.
        self._release(leg)
        self._apply(fx)
        with contextlib.suppress(AgiHangup, AgiPlaybackFailed):
            await session.stream_file(p.callback_confirmed)
            await session.stream_file(p.goodbye)
            await session.hangup()
        return True

    # ---------------------------------------------------------------- ringing agents

    async def _ring(self, session: AgiSession, leg: _Leg) -> bool:
        """Dial the offered agent from ``session``; True when the call is over (talked, or gone)."""
        offer = leg.offer
        assert offer is not None
        leg.ringing = offer
        try:
            # Not exec(): Dial's -1 is no hang-up signal. A real Asterisk returns -1 when the agent's side
            # ends the bridge (hangs up, or its line is taken elsewhere), 0 when the caller is moved out of it;
            # DIALSTATUS and our own marks below tell what happened.
            await session.command("EXEC", "Dial", f"{offer.interface},{self.settings.ring_timeout}")
        finally:
            leg.ringing = None
            leg.dial_channel = None
        # Moved away on purpose (transfer, hold, consultation, hand-over): a real Asterisk returns the Dial
        # with result -1 before the hang-up signal, so the session could still ask for DIALSTATUS.
        if leg.transferred or leg.handed_over or leg.bridged:
            return True
        if leg.cancelled:  # a consultation called off, no fault of the colleague's: its session ends it
            return True
        status = (await session.get_variable("DIALSTATUS")) or ""
        if leg.offer is not offer and not leg.connected:
            # The core took the offer back while it rang (the agent logged out): it already moved on; a
            # consultation pinned to that agent is over.
            return leg.consult_for is not None and not self._exists(leg.call_id)
        if status == "ANSWER":
            if not leg.connected:  # the DialEnd event may trail the AGI reply
                self._answered(leg)
            if leg.consult_for is not None:
                return True  # the colleague left: the consult session ends the consultation, the agent goes back
            self._apply(self.acd.hangup(leg.call_id))
            self._release(leg)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return True
        reason = DIAL_FAILURES.get(status)
        if reason is None:  # CANCEL or nothing: the caller is gone
            raise AgiHangup(f"Dial ended with {status!r}")
        leg.offer = None
        self._apply(self.acd.offer_failed(leg.call_id, reason))
        # A consultation pinned to the colleague ends there (the core dropped it).
        return leg.consult_for is not None and not self._exists(leg.call_id)

    def _answered(self, leg: _Leg) -> None:
        leg.connected = True
        leg.agent_channel = leg.dial_channel
        self._apply(self.acd.answered(leg.call_id))
        if leg.consult_for is None and leg.agent_channel is not None:
            self._spawn(self._note_agent_line(leg.channel, leg.agent_channel))

    async def _note_agent_line(self, caller: str, line: str) -> None:
        """Write the agent's line on the caller's channel, for a service that re-adopts the talk."""
        try:
            await self.ami.setvar(AGENT_LINE_VARIABLE, line, channel=caller)
        except AmiError as exc:
            log.warning("could not note the agent's line on %s: %s", caller, exc)

    def _exists(self, call_id: str) -> bool:
        try:
            self.acd.call(call_id)
        except AcdError:
            return False
        return True

    # ------------------------------------------------------------------- decisions

    def _apply(self, fx: Effects) -> None:
        if self._closed:
            return
        for decision in fx.decisions:
            if isinstance(decision, Offer):
                self._offer(decision)
            elif isinstance(decision, OriginateCallback):
                self._originate_callback(decision)
        for event in fx.events:
            if isinstance(event, CallEnded) and event.agent_id is not None \
                    and event.outcome in ("answered", "transferred"):
                self._remember_undisposed(event.call_id, event.agent_id)
                self._wrapping_up[event.agent_id] = event.call_id
            self.bus.publish(event)
        self._wake.set()

    def _offer(self, offer: Offer) -> None:
        leg = self._legs.get(offer.call_id)
        if leg is None:
            log.error("offer of call %s which has no channel here; returning it", offer.call_id)
            self._spawn(self._return_orphan(offer.call_id))
            return
        leg.offer = offer
        session = leg.session
        if leg.waiting and session is not None and leg.consult_for is not None:
            # A consulting agent's line: the connect context would hang it up after the talk.
            consulting = self.acd.call(leg.consult_for.call_id).agent_id or ""
            session.expect_interrupt(CONSULT_OFFERED)
            self._spawn(self._redirect(session.channel, CONSULT_CONTEXT, consulting))
        elif leg.waiting and session is not None:
            self._spawn(self._interrupt(session, offer.agent_id))
        elif leg.parked:
            leg.parked = False
            leg.redirected = True
            self._spawn(self._redirect(leg.channel, CONNECT_CONTEXT, offer.agent_id))

    async def _interrupt(self, session: AgiSession, agent_id: str) -> None:
        try:
            await session.interrupt(agent_id)
        except (AgiError, AmiError) as exc:
            # The channel is gone (its hang-up reaches the core) or the PBX link is: nothing to break.
            log.warning("could not redirect %s to agent %s: %s", session.channel, agent_id, exc)

    async def _redirect(self, channel: str, context: str, exten: str) -> None:
        try:
            await self.ami.redirect(channel, context, exten, 1)
        except AmiError as exc:
            # The channel is gone (its hang-up reaches the core) or the PBX link is down.
            log.warning("could not redirect %s to %s/%s: %s", channel, context, exten, exc)

    async def _hang_up(self, channel: str, *, maybe_gone: bool = False) -> None:
        try:
            await self.ami.hangup(channel)
        except AmiError as exc:
            log.log(logging.INFO if maybe_gone else logging.WARNING, "could not hang up %s: %s", channel, exc)

    async def _return_orphan(self, call_id: str) -> None:
        self._apply(self.acd.hangup(call_id))

    def _originate_callback(self, decision: OriginateCallback) -> None:
        leg = self._legs.get(decision.call_id)
        if leg is not None and leg.session is not None:
            leg.offer = decision  # the customer is on the line already: ring the next agent from there
            return
        leg = _Leg(decision.call_id, channel="", offer=decision)
        self._legs[decision.call_id] = leg
        self._spawn(self._dial_customer(decision))

    async def _dial_customer(self, decision: OriginateCallback) -> None:
        s = self.settings
        if callback_number(decision.number) is None:
            # Only a request logged before numbers were checked can get here.
            log.warning("call-back %s: refusing to dial %r", decision.call_id, decision.number)
            self._callback_failed(decision.call_id)
            return
        try:
            action_id = await self.ami.originate(
                s.callback_dial.format(number=decision.number), context=CALLBACK_CONTEXT,
                exten=decision.call_id, caller_id=decision.number, timeout_ms=s.callback_timeout * 1000,
                variables={CALL_ID_VARIABLE: decision.call_id, AGENT_VARIABLE: decision.agent_id},
            )
        except (AmiError, ValueError) as exc:
            log.warning("call-back %s: originate failed: %s", decision.call_id, exc)
            self._callback_failed(decision.call_id)
            return
        early = self._early_results.pop(action_id, None)
        if early is not None:
            self._on_originate_result(decision.call_id, early)
        else:
            self._originates[action_id] = decision.call_id

    def _on_originate_result(self, call_id: str, result: OriginateResult) -> None:
        if not result.success:
            log.info("call-back %s: customer not reached (reason %d)", call_id, result.reason)
            self._callback_failed(call_id)

    def _callback_failed(self, call_id: str) -> None:
        leg = self._legs.get(call_id)
        if leg is not None:
            self._release(leg)
        self._apply(self.acd.hangup(call_id))

    # ---------------------------------------------------------------- PBX events

    def _on_pbx_event(self, event: DomainEvent) -> None:
        if isinstance(event, DialStarted):
            leg = self._by_channel.get(event.channel or "")
            if leg is not None and leg.ringing is not None:
                leg.dial_channel = event.dest_channel
                # The agent logged out, or the consultation was called off, before the Dial got going.
                if leg.ringing is not leg.offer or leg.cancelled:
                    self._spawn(self._hang_up(event.dest_channel))
        elif isinstance(event, DialEnded):
            leg = self._by_channel.get(event.channel or "")
            if leg is not None and leg.ringing is not None and leg.ringing is leg.offer \
                    and not leg.connected and event.dial_status == "ANSWER":
                self._answered(leg)
        elif isinstance(event, ChannelHungUp):
            transfer = next((c for c, t in self._transfers.items() if t.channel == event.channel), None)
            if transfer is not None:
                del self._transfers[transfer]  # gone on the way to the new queue: it was never queued there
            leg = self._by_channel.get(event.channel)
            if leg is not None:
                # Backstop: whatever the session saw (or did not), the channel is gone.
                if leg.consult_for is not None:
                    self._consult_over(leg, agent_gone=True)  # the consulting agent's line went
                elif leg.bridged:
                    consult = leg.consult
                    self._end_bridged_talk(leg, hang_up_caller=False)
                    if consult is not None:  # nothing left to consult about
                        self._spawn(self._call_off(consult))
                else:
                    self._release(leg)
                    self._apply(self.acd.hangup(leg.call_id))
            talk = self._by_agent_channel.get(event.channel)
            if talk is not None and self._legs.get(talk.call_id) is talk and talk.bridged:
                if talk.held:
                    self._requeue(talk)
                else:  # the agent's line left a re-bridged talk: the talk is over, the caller let go
                    self._end_bridged_talk(talk, hang_up_caller=True)
        elif isinstance(event, OriginateResult) and event.action_id is not None:
            call_id = self._originates.pop(event.action_id, None)
            if call_id is not None:
                self._on_originate_result(call_id, event)
            else:
                # Its originate() may not have returned yet (the response and this event in one read).
                self._early_results[event.action_id] = event
                while len(self._early_results) > EARLY_ORIGINATE_RESULTS_KEPT:
                    self._early_results.popitem(last=False)

    # --------------------------------------------------------------------- legs

    def _adopt(self, call_id: str, session: AgiSession) -> _Leg:
        leg = _Leg(call_id, session.channel, session=session)
        self._legs[call_id] = leg
        self._by_channel[session.channel] = leg
        return leg

    def _release(self, leg: _Leg) -> None:
        """Forget the leg: its channel no longer carries the call (a call-back gets a new leg)."""
        if self._by_channel.get(leg.channel) is leg:
            del self._by_channel[leg.channel]
        if self._legs.get(leg.call_id) is leg:
            del self._legs[leg.call_id]
        if leg.agent_channel is not None and self._by_agent_channel.get(leg.agent_channel) is leg:
            del self._by_agent_channel[leg.agent_channel]
        leg.session = None

    def _remember_undisposed(self, call_id: str, agent_id: str) -> None:
        self._undisposed[call_id, agent_id] = None
        while len(self._undisposed) > UNDISPOSED_KEPT:
            self._undisposed.popitem(last=False)

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        if self._closed:
            coro.close()
            return
        self._tasks.spawn(coro)

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


"""The caller's side of the ACD service until an agent answers: the wait in queue, the agents' phones
ringing, and call-backs dialled to customers.

A caller who leaves the IVR for a queue stays in :meth:`QueueWait.wait_in_queue` (music on hold in
slices, position and estimated-wait announcements, a "press 1 for a call-back" window). When the core
offers the call to an agent while the caller waits, the running AGI command is broken with an AMI
Redirect to ``callcenter-connect``/<agent id>; Asterisk then opens a new FastAGI session there and
:meth:`QueueWait.connect` rings the agent's phone. An offer made while no wait command runs (on
arrival, or right after a missed ring) is rung at once in the same session.

The agent answering is seen on AMI (``DialEnd`` with ``ANSWER``) while ``Dial`` keeps the bridge; the
``Dial`` returning ends the talk. A ring the agent does not take sends the call back to its place and
the same session waits again; except a campaign's answered person (the campaign is in the call's caller
data), whom the held agent's phone is asked to answer at once and rings only for what is left of the 2 s
since the call came to the queue (AMD's verdict), less the moment the message needs to start: a ring not
taken ends the wait as abandoned, and the dialer that handed the call over plays the campaign's message,
within the 2 s. ``Dial`` takes the seconds with a decimal (Asterisk's since 2025; older ones round them down).

Call-backs: when the core decides :class:`~acd.decisions.OriginateCallback` the service originates to
the customer into ``callcenter-callback``/<call id>; :meth:`QueueWait.callback` then rings the agent.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import math
from collections.abc import Callable

from acd.core import Acd
from acd.decisions import Effects, Offer, OriginateCallback, Refused
from acd.errors import AcdError
from acd.legs import Leg, LegPhase, Legs
from acd.pbx_moves import (
    AGENT_VARIABLE,
    AUTO_ANSWER_CONTEXT,
    CALLBACK_CONTEXT,
    CONNECT_CONTEXT,
    CONSULT_CONTEXT,
    CONSULT_OFFERED,
    PbxMoves,
    turn_away,
)
from acd.readopt import CALL_ID_VARIABLE, channel_variables
from acd.service_settings import AcdServiceSettings
from asterisk_conf.dialstring import callback_number
from bus.clock import Clock
from cti.agi import AgiError, AgiHangup, AgiInterrupted, AgiPlaybackFailed, AgiSession
from cti.ami.client import AmiError
from cti.ami.events import OriginateResult
from ivr.outcome import IvrOutcome

log = logging.getLogger(__name__)

# DIALSTATUS -> the core's offer failure reason; CANCEL means the caller hung up while it rang.
DIAL_FAILURES = {"NOANSWER": "no_answer", "BUSY": "busy", "CHANUNAVAIL": "failed", "CONGESTION": "failed"}
EARLY_ORIGINATE_RESULTS_KEPT = 1_000
#: Seconds from AMD's verdict within which a campaign's answered person must reach an agent or hear the
#: campaign's recorded message (the US and UK rules' 2 s).
CAMPAIGN_CONNECT_LIMIT = 2.0
#: Of those, what the dialer needs to start the message once the ring is over: kept out of the ring.
MESSAGE_START_MARGIN = 0.3
#: The shortest ring a campaign's connect gets, however late the hand-over was (a phone answering by itself
#: still takes it).
MIN_CAMPAIGN_RING = 0.5


class QueueWait:
    """Callers waiting for an agent and the agents' phones ringing for them; ``apply`` carries out the
    core's effects (the service's)."""

    def __init__(
        self,
        acd: Acd,
        legs: Legs,
        pbx: PbxMoves,
        settings: AcdServiceSettings,
        clock: Clock,
        apply: Callable[[Effects], None],
    ) -> None:
        self.acd = acd
        self.legs = legs
        self.pbx = pbx
        self.settings = settings
        self.clock = clock
        self._apply = apply
        # Agents whose phones answer by themselves, with the seconds they ring first (set from the desktop).
        self.auto_answer: dict[str, int] = {}
        self._originates: dict[str, str] = {}  # AMI ActionID -> call id of a call-back being dialled
        self._early_results: collections.OrderedDict[str, OriginateResult] = collections.OrderedDict()

    # ------------------------------------------------------------ the IVR hands over

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
        leg = self.legs.adopt(call_id, session)
        try:
            refused = self._enqueue(outcome, agent_id)
            if refused is not None and agent_id is not None:
                refused = self._enqueue(outcome)
        except AcdError:
            self.legs.release(leg)
            raise
        if refused is not None:
            self.legs.release(leg)
            await self._refuse(session)
            return
        leg.callback_to = callback_number(outcome.callback_number or outcome.caller.ani)
        try:
            # Lets a restarted service re-adopt the call (see acd.readopt).
            for name, value in channel_variables(self.acd.call(call_id), leg.callback_to):
                await session.set_variable(name, value)
        except AgiHangup:
            self._apply(self.acd.hangup(call_id))
            self.legs.release(leg)
            return
        await self.serve(session, leg)

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

    # ---------------------------------------------------------------- routes

    async def connect(self, session: AgiSession) -> None:
        """Route ``connect``: a waiting caller redirected here because an agent was offered the call."""
        leg = self.legs.on_channel(session.channel)
        if leg is None:
            await turn_away(session, log, "connect: no call on %s (agent %s)", session.channel, session.env.extension)
            return
        leg.session = session
        await self.serve(session, leg)

    async def callback(self, session: AgiSession) -> None:
        """Route ``callback``: the customer of a call-back answered; ring the reserved agent."""
        call_id = session.env.extension or (await session.get_variable(CALL_ID_VARIABLE) or "")
        leg = self.legs.get(call_id)
        if leg is None or not isinstance(leg.offer, OriginateCallback):
            await turn_away(session, log, "callback: no call-back %r in progress on %s", call_id, session.channel)
            return
        leg.channel = session.channel
        leg.session = session
        self.legs.bind_channel(session.channel, leg)
        try:
            while leg.offer is not None:
                if await self._ring(session, leg):
                    return
            # Nobody free to take it now: the entry keeps its place and is called again later, on a
            # new leg (released first, so an offer made during the goodbye is not left on this one).
            self.legs.release(leg)
            with contextlib.suppress(AgiError):
                await session.stream_file(self.settings.prompts.callback_retry)
                await session.hangup()
        except AgiHangup:
            self._apply(self.acd.hangup(call_id))  # a waiting call-back entry is left as it is
        finally:
            self.legs.release(leg)

    # ------------------------------------------------------------ the wait in queue

    async def serve(self, session: AgiSession, leg: Leg) -> None:
        """Ring while there is an offer, wait while there is none, until the call is over or moves on."""
        try:
            while True:
                if leg.offer is not None:
                    if await self._ring(session, leg):
                        return
                    continue
                leg.move(LegPhase.WAITING)
                try:
                    done = await self._wait(session, leg)
                finally:
                    # Unless the next session took over and waits now (the wait is that one's).
                    if leg.phase is LegPhase.WAITING and leg.session in (session, None):
                        leg.move(LegPhase.QUEUED)
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
            self.legs.release(leg)

    async def _wait(self, session: AgiSession, leg: Leg) -> bool:
        """Hold the caller until interrupted; True when the caller took a call-back and was let go."""
        s = self.settings
        callback_to = leg.callback_to
        started = self.clock()
        last_announce = started
        last_offer = started
        while True:
            now = self.clock()
            if now - last_announce >= s.announce_every:
                last_announce = now
                await self._announce(session, leg.call_id)
            if callback_to and s.callback_offer_every > 0 and now - last_offer >= s.callback_offer_every:
                last_offer = now
                if await self._offer_callback(session, leg, callback_to):
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

    async def _offer_callback(self, session: AgiSession, leg: Leg, number: str) -> bool:
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
        self.legs.release(leg)
        self._apply(fx)
        with contextlib.suppress(AgiHangup, AgiPlaybackFailed):
            await session.stream_file(p.callback_confirmed)
            await session.stream_file(p.goodbye)
            await session.hangup()
        return True

    # ---------------------------------------------------------------- ringing agents

    async def _ring(self, session: AgiSession, leg: Leg) -> bool:
        """Dial the offered agent from ``session``; True when the call is over (talked, or gone)."""
        offer = leg.offer
        assert offer is not None
        leg.ringing = offer
        campaign_ring = self._campaign_ring(offer.call_id)
        campaign = campaign_ring is not None
        ring = f"{campaign_ring:g}" if campaign_ring is not None else str(self.settings.ring_timeout)
        try:
            # Not exec(): Dial's -1 is no hang-up signal. A real Asterisk returns -1 when the agent's side
            # ends the bridge (hangs up, or its line is taken elsewhere), 0 when the caller is moved out of it;
            # DIALSTATUS and our own marks below tell what happened.
            await session.command("EXEC", "Dial", f"{offer.interface},{ring}"
                                  f"{self._dial_options(offer.agent_id, campaign)}")
        finally:
            leg.ringing = None
            leg.dial_channel = None
        # Moved away on purpose (transfer, hold, consultation, hand-over): a real Asterisk returns the Dial
        # with result -1 before the hang-up signal, so the session could still ask for DIALSTATUS.
        if leg.phase is LegPhase.TRANSFERRED or leg.out_of_dial or leg.handed_over:
            return True
        if leg.called_off:
            return True  # no fault of the colleague's: its session ends the consultation
        status = (await session.get_variable("DIALSTATUS")) or ""
        if leg.offer is not offer and leg.phase is not LegPhase.TALKING:
            # The core took the offer back while it rang (the agent logged out): it already moved on; a
            # consultation pinned to that agent is over.
            return leg.consult_for is not None and not self._exists(leg.call_id)
        if status == "ANSWER":
            if leg.phase is not LegPhase.TALKING:  # the DialEnd event may trail the AGI reply
                self.answered(leg)
            if leg.consult_for is not None:
                return True  # the colleague left: the consult session ends the consultation, the agent goes back
            self._apply(self.acd.hangup(leg.call_id))
            self.legs.release(leg)
            with contextlib.suppress(AgiError):
                await session.hangup()
            return True
        reason = DIAL_FAILURES.get(status)
        if reason is None:  # CANCEL or nothing: the caller is gone
            raise AgiHangup(f"Dial ended with {status!r}")
        leg.offer = None
        self._apply(self.acd.offer_failed(leg.call_id, reason))
        if campaign:
            # The person may not wait for another agent: the call leaves the queue abandoned, the channel
            # stays up, and the wait returns to the dialer, which plays the campaign's message.
            self._apply(self.acd.hangup(leg.call_id))
            self.legs.release(leg)
            return True
        # A consultation pinned to the colleague ends there (the core dropped it).
        return leg.consult_for is not None and not self._exists(leg.call_id)

    def _dial_options(self, agent_id: str, campaign: bool) -> str:
        """Dial's options for ringing ``agent_id``: the auto-answer pre-dial handler when the agent turned it
        on, and at once for a campaign's answered person (whatever the agent chose for the calls that ring
        them)."""
        seconds = 0 if campaign else self.auto_answer.get(agent_id)
        return "" if seconds is None else f",b({AUTO_ANSWER_CONTEXT}^s^1({seconds}))"

    def _campaign_ring(self, call_id: str) -> float | None:
        """How long to ring for a campaign's answered person (None: not one): what is left of
        :data:`CAMPAIGN_CONNECT_LIMIT` since they came to the queue, less :data:`MESSAGE_START_MARGIN`, in tenths
        of a second, at least :data:`MIN_CAMPAIGN_RING`."""
        try:
            call = self.acd.call(call_id)
        except AcdError:
            return None
        if call.caller.campaign_lead() is None:
            return None
        left = CAMPAIGN_CONNECT_LIMIT - MESSAGE_START_MARGIN - (self.clock() - call.enter_time)
        return max(MIN_CAMPAIGN_RING, math.floor(left * 10) / 10)

    def answered(self, leg: Leg) -> None:
        """The agent rung for the leg answered: they talk."""
        leg.move(LegPhase.TALKING)
        leg.agent_channel = leg.dial_channel
        self._apply(self.acd.answered(leg.call_id))
        if leg.consult_for is None and leg.agent_channel is not None:
            self.pbx.spawn(self.pbx.note_agent_line(leg.channel, leg.agent_channel))

    def _exists(self, call_id: str) -> bool:
        try:
            self.acd.call(call_id)
        except AcdError:
            return False
        return True

    # ------------------------------------------------------------- the core's decisions

    def offer(self, offer: Offer) -> None:
        """Ring the offered agent for the call: at once if its session is between waits, else by breaking
        the wait (or moving a re-adopted channel to a session)."""
        leg = self.legs.get(offer.call_id)
        if leg is None:
            log.error("offer of call %s which has no channel here; returning it", offer.call_id)
            self.pbx.spawn(self._return_orphan(offer.call_id))
            return
        leg.offer = offer
        session = leg.session
        if leg.phase is LegPhase.WAITING and session is not None and leg.consult_for is not None:
            # A consulting agent's line: the connect context would hang it up after the talk.
            consulting = self.acd.call(leg.consult_for.call_id).agent_id or ""
            session.expect_interrupt(CONSULT_OFFERED)
            self.pbx.spawn(self.pbx.redirect(session.channel, CONSULT_CONTEXT, consulting))
        elif leg.phase is LegPhase.WAITING and session is not None:
            self.pbx.spawn(self.pbx.interrupt(session, offer.agent_id))
        elif leg.phase is LegPhase.PARKED:
            leg.move(LegPhase.QUEUED)
            leg.redirected = True
            self.pbx.spawn(self.pbx.redirect(leg.channel, CONNECT_CONTEXT, offer.agent_id))

    async def _return_orphan(self, call_id: str) -> None:
        self._apply(self.acd.hangup(call_id))

    def originate_callback(self, decision: OriginateCallback) -> None:
        """Call the customer of a call-back back (the agent is reserved), or ring the next agent from the
        customer's line when it is up already."""
        leg = self.legs.get(decision.call_id)
        if leg is not None and leg.session is not None:
            leg.offer = decision  # the customer is on the line already: ring the next agent from there
            return
        self.legs.add(Leg(decision.call_id, channel="", offer=decision))
        self.pbx.spawn(self._dial_customer(decision))

    async def _dial_customer(self, decision: OriginateCallback) -> None:
        s = self.settings
        if callback_number(decision.number) is None:
            # Only a request logged before numbers were checked can get here.
            log.warning("call-back %s: refusing to dial %r", decision.call_id, decision.number)
            self._callback_failed(decision.call_id)
            return
        try:
            action_id = await self.pbx.ami.originate(
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

    def originate_result(self, result: OriginateResult) -> None:
        """AMI's word on a call-back's originate (which may come before ``originate()`` returns)."""
        if result.action_id is None:
            return
        call_id = self._originates.pop(result.action_id, None)
        if call_id is not None:
            self._on_originate_result(call_id, result)
        else:
            # Its originate() may not have returned yet (the response and this event in one read).
            self._early_results[result.action_id] = result
            while len(self._early_results) > EARLY_ORIGINATE_RESULTS_KEPT:
                self._early_results.popitem(last=False)

    def _on_originate_result(self, call_id: str, result: OriginateResult) -> None:
        if not result.success:
            log.info("call-back %s: customer not reached (reason %d)", call_id, result.reason)
            self._callback_failed(call_id)

    def _callback_failed(self, call_id: str) -> None:
        leg = self.legs.get(call_id)
        if leg is not None:
            self.legs.release(leg)
        self._apply(self.acd.hangup(call_id))

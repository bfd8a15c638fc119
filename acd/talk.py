"""A caller talking to an agent, as the ACD service steers it: blind transfers, hold, consultations.

A blind transfer ends the agent's part at once (``CallEnded`` with outcome ``transferred``, wrap-up as
after any call) and redirects the caller to ``callcenter-transfer``/<call id>, where the service queues
the same call again (fresh wait, same caller's data) and it waits on as a new caller would.

Hold and consultation: the talk leaves its Dial. :meth:`Talk.hold` moves both sides with one AMI Redirect
(caller to ``callcenter-talk``/<call id>, agent's line to ``callcenter-held``/<agent id>); the caller's
``talk`` session plays music while held and otherwise runs ``Bridge`` with the agent's line, so
:meth:`Talk.resume` only has to send the caller to a fresh ``talk`` session. From then on neither side's
hang-up ends the other by itself: the service hangs up whoever is left, and a caller whose agent's line
is gone while on hold waits in the queue again. A consultation is a call of its own in the core (pinned
to the colleague, or waiting in a queue, with the caller's data and ``consult_of``), whose "caller" is
the agent's line, redirected to ``callcenter-consult``/<agent id> where a ``consult`` session waits and
rings exactly as for a caller. Completing it re-keys the caller's leg to the consultation call and
bridges the caller with the colleague's line (Asterisk's ``Bridge`` takes it out of the agent's Dial,
which returns; the agent's line is hung up); a cancelled or failed consultation leaves the agent's line
in ``callcenter-held`` and the caller is bridged back with it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from acd.agents import AgentState
from acd.calls import CallStatus
from acd.control import AgentControlRefused, refused_by_core
from acd.core import Acd
from acd.decisions import Effects, Refused
from acd.errors import AcdError
from acd.events import ConsultEnded, ConsultStarted
from acd.legs import ConsultState, Leg, LegPhase, Legs, PendingTransfer
from acd.pbx_moves import (
    CONSULT_CONTEXT,
    CONSULT_OFFERED,
    HELD_CONTEXT,
    TALK_CONTEXT,
    TRANSFER_CONTEXT,
    PbxMoves,
    turn_away,
)
from acd.queue_wait import QueueWait
from acd.service_settings import AcdServiceSettings
from bus.clock import Clock
from bus.eventbus import EventBus
from cti.agi import AgiError, AgiHangup, AgiInterrupted, AgiSession
from cti.ami.client import AmiError
from ivr.outcome import IvrOutcome, OutcomeKind

log = logging.getLogger(__name__)


class Talk:
    """Talking calls: transfers, hold and consultations; ``apply`` carries out the core's effects (the
    service's), ``wait`` serves a consultation's wait and ring as a caller's."""

    def __init__(
        self,
        acd: Acd,
        bus: EventBus,
        legs: Legs,
        pbx: PbxMoves,
        wait: QueueWait,
        settings: AcdServiceSettings,
        clock: Clock,
        apply: Callable[[Effects], None],
    ) -> None:
        self.acd = acd
        self.bus = bus
        self.legs = legs
        self.pbx = pbx
        self.wait = wait
        self.settings = settings
        self.clock = clock
        self._apply = apply
        self._consults = 0

    # ---------------------------------------------------------------- transfers

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

    async def _blind_transfer(self, leg: Leg, queue: str, target_agent: str | None) -> None:
        if leg.consult is not None:
            raise AgentControlRefused(f"call {leg.call_id} has a consultation under way: complete or cancel it")
        if leg.session is None:
            raise AgentControlRefused(f"call {leg.call_id} is moving or not under a session of ours")
        call_id = self._leave_for_queue(leg, queue, target_agent)
        try:
            await self.pbx.ami.redirect(leg.channel, TRANSFER_CONTEXT, call_id, 1)
        except AmiError as exc:
            # Mostly the caller hung up just now; the agent's part is over either way.
            self.legs.cancel_transfer(call_id)
            raise AgentControlRefused(f"could not move call {call_id} to {queue}: {exc}") from exc

    def requeue(self, leg: Leg) -> None:
        """The agent's line went while the caller was on hold: the caller waits in the call's queue again
        (as after a blind transfer there) rather than being cut off."""
        call_id = self._leave_for_queue(leg, self.acd.call(leg.call_id).queue, None)
        log.info("call %s: the agent's line is gone while the caller held; queued again", call_id)
        self.pbx.spawn(self.pbx.redirect(leg.channel, TRANSFER_CONTEXT, call_id))

    def _leave_for_queue(self, leg: Leg, queue: str, target_agent: str | None) -> str:
        """End the agent's part of a talking call (``transferred``) and expect its caller in
        ``callcenter-transfer``, bound for ``queue`` (``target_agent`` first) with its data; the caller's
        move is the caller's to make. Returns the call id."""
        call = self.acd.call(leg.call_id)
        outcome = IvrOutcome(kind=OutcomeKind.QUEUE, call_id=call.call_id, caller=call.caller, queue=queue,
                             priority=call.priority, callback_number=leg.callback_to)
        # Out of its Dial, nobody hangs the agent's line up but us.
        agent_channel = leg.agent_channel if leg.out_of_dial else None
        # Moved before anything else: the Dial the redirect breaks must not end the call in the core.
        leg.move(LegPhase.TRANSFERRED)
        leg.redirected = True
        if leg.session is not None:
            leg.session.expect_interrupt("transfer")
        self.legs.release(leg)
        self.legs.expect_transfer(call.call_id, PendingTransfer(leg.channel, outcome, target_agent))
        self._apply(self.acd.transfer_out(call.call_id))
        if agent_channel is not None:
            self.pbx.spawn(self.pbx.hang_up(agent_channel, maybe_gone=True))
        return call.call_id

    # ------------------------------------------------------------ hold and consult

    async def hold(self, call_id: str, agent_id: str | None) -> None:
        """Put the caller of a talking call on hold: both sides leave the Dial bridge, the caller for music
        in ``callcenter-talk``, the agent's line for silence in ``callcenter-held``."""
        leg = self._talking_leg(call_id, agent_id)
        if leg.phase is LegPhase.HELD:
            raise AgentControlRefused(f"call {call_id} is on hold already")
        await self._hold(leg, HELD_CONTEXT)

    async def resume(self, call_id: str, agent_id: str | None) -> None:
        """Bring the caller on hold back to the agent (a ``talk`` session bridges them again)."""
        leg = self._talking_leg(call_id, agent_id)
        if leg.phase is not LegPhase.HELD:
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
        consult = self.legs.add(Leg(f"{call_id}-consult-{self._consults}", leg.agent_channel, consult_for=leg,
                                    consulting_agent=call.agent_id))
        try:
            fx = self.acd.enqueue(consult.call_id, queue or call.queue, priority=call.priority, caller=call.caller,
                                  agent_id=target_agent, consult_of=call_id)
        except AcdError as exc:
            self.legs.release(consult)
            raise AgentControlRefused(str(exc)) from exc
        refused = next((d for d in fx.decisions if isinstance(d, Refused)), None)
        if refused is not None:
            self.legs.release(consult)
            raise AgentControlRefused(f"{target_agent or queue} cannot take a consultation now ({refused.reason})")
        leg.consult = consult
        self._apply(fx)
        self.bus.publish(ConsultStarted(at=self.clock(), call_id=call_id, agent_id=call.agent_id,
                                        consult_id=consult.call_id, target_agent=target_agent, target_queue=queue))
        # The consult session finds its leg by the agent's channel, which from now on carries the consultation.
        self.legs.bind_channel(leg.agent_channel, consult)
        self.legs.unbind_agent_line(leg.agent_channel)
        try:
            if leg.phase is not LegPhase.HELD:
                await self._hold(leg, CONSULT_CONTEXT)
            else:
                await self.pbx.ami.redirect(leg.agent_channel, CONSULT_CONTEXT, call.agent_id, 1)
        except (AmiError, AgentControlRefused) as exc:
            if consult.consult_state is not ConsultState.HANDED_OVER:
                consult.settle(ConsultState.CALLED_OFF)
            self.consult_over(consult)
            raise AgentControlRefused(f"could not start the consultation: {exc}") from exc

    async def complete_consult(self, call_id: str, agent_id: str | None) -> None:
        """Attended transfer: the caller on hold is bridged with the colleague the agent is talking to;
        the agent's part ends (``transferred``) and the caller's leg carries the consultation call on."""
        leg = self._talking_leg(call_id, agent_id)
        consult = leg.consult
        if consult is None or consult.consult_state is not ConsultState.UNDER_WAY \
                or consult.phase is not LegPhase.TALKING or consult.agent_channel is None:
            raise AgentControlRefused(f"call {call_id} has no consultation with a colleague on the line")
        call = self.acd.call(call_id)
        consult.settle(ConsultState.HANDED_OVER)
        leg.consult = None
        self._apply(self.acd.transfer_out(call_id))
        self.bus.publish(ConsultEnded(at=self.clock(), call_id=call_id, agent_id=call.agent_id or "",
                                      consult_id=consult.call_id, outcome="completed"))
        # The caller's leg now carries the consultation call, talking to the colleague's line.
        self.legs.rekey(leg, consult.call_id)
        leg.agent_channel = consult.agent_channel
        self.legs.bind_agent_line(leg)
        self.pbx.spawn(self.pbx.note_agent_line(leg.channel, consult.agent_channel))
        if leg.phase is LegPhase.HELD:
            leg.move(LegPhase.BRIDGED)
        await self._move_caller(leg, "complete")

    async def cancel_consult(self, call_id: str, agent_id: str | None) -> None:
        """Call the consultation off: the colleague's phone stops ringing (or their line is hung up, or the
        wait in their queue ends) and the agent is bridged back with the caller."""
        leg = self._talking_leg(call_id, agent_id)
        consult = leg.consult
        if consult is None or consult.called_off:
            raise AgentControlRefused(f"call {call_id} has no consultation under way")
        await self.call_off(consult)

    async def call_off(self, consult: Leg) -> None:
        """Stop a consultation wherever it is; its session then ends it (:meth:`consult_over`)."""
        consult.settle(ConsultState.CALLED_OFF)
        if consult.phase is LegPhase.TALKING and consult.agent_channel is not None:
            await self.pbx.hang_up(consult.agent_channel, maybe_gone=True)  # the consult session's Dial returns
        elif consult.ringing is not None:
            if consult.dial_channel is not None:
                await self.pbx.hang_up(consult.dial_channel, maybe_gone=True)
            # else DialStarted hangs the colleague's leg up when it comes
        elif consult.session is not None:
            # Waiting in a queue: move the agent's line out of the music; the session ends interrupted.
            consult.session.expect_interrupt("cancel")
            await self.pbx.redirect(consult.channel, HELD_CONTEXT, consult.consulting_agent or "")
        # else the agent's line is on its way to the consult session, which sees the cancellation

    async def talk_session(self, session: AgiSession) -> None:
        """Route ``talk``: the caller of a talk that left its Dial. On hold it hears music until moved;
        otherwise the session bridges it with the agent's line until one of them leaves."""
        leg = self.legs.on_channel(session.channel)
        if leg is None or not leg.out_of_dial:
            await turn_away(session, log, "talk: no held or bridged call on %s", session.channel)
            return
        leg.session = session
        try:
            # After each command: a caller we moved meanwhile belongs to the next session (Asterisk ends the
            # running application with result -1 and may still run a command before the hang-up signal).
            while leg.phase is LegPhase.HELD:
                await session.exec("MusicOnHold", self.settings.music_class, str(self.settings.music_slice))
                if leg.session is not session:
                    return
            await session.exec("Bridge", leg.agent_channel or "")
            if leg.session is not session:
                return
            result = await session.get_variable("BRIDGERESULT")
            log.info("call %s: the bridge with the agent's line ended (%s)", leg.call_id, result)
            if result != "SUCCESS" and self.legs.holds(leg):
                self.requeue(leg)  # the agent's line vanished while the caller held: never cut the caller off
                return
        except AgiInterrupted:
            if leg.session is session:
                leg.session = None  # moved on purpose: the next session takes over
            return
        except AgiHangup:
            return  # the caller left: ChannelHungUp ends the call and hangs the agent's line up
        if self.legs.holds(leg):
            # One side left (Asterisk may end Bridge() normally whichever it was): the talk is over.
            self.end_bridged_talk(leg, hang_up_caller=False)
        with contextlib.suppress(AgiError):
            await session.hangup()

    async def came_back(self, session: AgiSession, leg: Leg) -> None:
        """The caller of a talk a previous service left is back in our dialplan: it was on hold (the agent's
        line still waits) and stays so until the agent resumes it, or its talk is over."""
        line = leg.agent_channel
        if line is not None and await session.channel_status(line) >= 0:
            leg.move(LegPhase.HELD)
            with contextlib.suppress(AcdError):  # the restored core may know of the hold already
                self._apply(self.acd.hold(leg.call_id))
            await self.talk_session(session)
            return
        self.end_bridged_talk(leg, hang_up_caller=False)
        with contextlib.suppress(AgiError):
            await session.hangup()

    async def consult_session(self, session: AgiSession) -> None:
        """Route ``consult``: the consulting agent's line rings the colleague (or waits in their queue) and
        talks with them; when this ends without a hand-over the agent is bridged back with the caller."""
        consult = self.legs.on_channel(session.channel)
        if consult is None or consult.consult_for is None:
            await turn_away(session, log, "consult: no consultation on %s", session.channel)
            return
        consult.session = session
        caller = consult.consult_for
        if not consult.called_off:
            await self.wait.serve(session, consult)
            if session.interrupt_reason == CONSULT_OFFERED and not consult.called_off:
                return  # moved out of the wait in the colleague's queue to ring them: a new session does
        # The session may hear of the agent's line hanging up before AMI tells the rest of us.
        self.consult_over(consult, agent_gone=session.hung_up and session.interrupt_reason is None)
        if consult.handed_over or caller is None or not self.legs.holds(caller):
            with contextlib.suppress(AgiError):
                await session.hangup()  # the agent's part is over; otherwise the dialplan holds the line

    def consult_over(self, consult: Leg, *, agent_gone: bool = False) -> None:
        """End a consultation's leg. Unless it was handed over, the agent goes back to the caller; a caller
        whose agent's line is gone (``agent_gone``) waits in the queue again instead."""
        caller = consult.consult_for
        self.legs.release(consult)
        consult.consult_for = None
        if consult.handed_over or caller is None or self.pbx.stopped:
            return
        self._apply(self.acd.end_consult(consult.call_id))
        if caller.consult is not consult:
            return
        caller.consult = None
        outcome = "cancelled" if consult.called_off else "failed"
        self.bus.publish(ConsultEnded(at=self.clock(), call_id=caller.call_id,
                                      agent_id=consult.consulting_agent or "", consult_id=consult.call_id,
                                      outcome=outcome))
        if not self.legs.holds(caller) or caller.agent_channel is None:
            return  # the caller is gone: the consult session hangs the agent's line up
        if agent_gone:
            self.requeue(caller)
            return
        self.legs.bind_agent_line(caller)
        self.pbx.spawn(self._resume(caller))

    async def _hold(self, leg: Leg, agent_context: str) -> None:
        """Move the caller to music in ``callcenter-talk`` and the agent's line to ``agent_context``."""
        assert leg.agent_channel is not None
        agent_id = self.acd.call(leg.call_id).agent_id or ""
        was = leg.phase
        # Moved before the redirect: the talk session may arrive before the AMI response does.
        leg.move(LegPhase.HELD)
        if leg.consult is None:
            self.legs.bind_agent_line(leg)
        if leg.session is not None:
            leg.session.expect_interrupt("hold")
            leg.session = None
        try:
            await self.pbx.ami.redirect(leg.channel, TALK_CONTEXT, leg.call_id, 1, leg.agent_channel,
                                        extra_context=agent_context, extra_exten=agent_id)
        except AmiError as exc:
            if leg.phase is LegPhase.HELD:  # else the leg moved on meanwhile (the agent's line went)
                leg.move(was)
            raise AgentControlRefused(f"could not put call {leg.call_id} on hold: {exc}") from exc
        self._apply(self.acd.hold(leg.call_id))

    async def _resume(self, leg: Leg) -> None:
        if leg.phase is not LegPhase.HELD:
            return
        leg.move(LegPhase.BRIDGED)
        self._apply(self.acd.resume(leg.call_id))
        await self._move_caller(leg, "resume")

    async def _move_caller(self, leg: Leg, reason: str) -> None:
        """Send the caller to a fresh ``talk`` session, which reads what to do from the leg. A caller on
        its way there (no session yet) needs no move: the session it gets reads the leg as it is."""
        session = leg.session
        if session is None:
            return
        session.expect_interrupt(reason)
        leg.session = None
        await self.pbx.redirect(leg.channel, TALK_CONTEXT, leg.call_id)

    def end_bridged_talk(self, leg: Leg, *, hang_up_caller: bool) -> None:
        """A talk out of its Dial is over: end it in the core and hang up the side that may still be there:
        the caller when told so, else the agent's line (unless it is consulting a colleague)."""
        self.legs.release(leg)
        self._apply(self.acd.hangup(leg.call_id))
        if hang_up_caller:
            self.pbx.spawn(self.pbx.hang_up(leg.channel))
        elif leg.agent_channel is not None and leg.consult is None:
            self.pbx.spawn(self.pbx.hang_up(leg.agent_channel, maybe_gone=True))

    def _talking_leg(self, call_id: str, agent_id: str | None) -> Leg:
        """The caller's leg of a call talking to ``agent_id`` (any agent when None), or refused."""
        with refused_by_core():
            call = self.acd.call(call_id)
        if call.status is not CallStatus.CONNECTED or (agent_id is not None and call.agent_id != agent_id):
            raise AgentControlRefused(f"call {call_id} is not talking to {agent_id or 'an agent'}")
        leg = self.legs.get(call_id)
        if leg is None or leg.consult_for is not None:
            raise AgentControlRefused(f"call {call_id} has no caller channel here")
        if leg.agent_channel is None:
            raise AgentControlRefused(f"call {call_id}: the agent's line is not known (re-adopted talk)")
        return leg

    def _check_colleague(self, agent_id: str | None, target_agent: str) -> None:
        if target_agent == agent_id:
            raise AgentControlRefused("that is the call's own agent")
        with refused_by_core():
            state = self.acd.agent(target_agent).state
        if state is not AgentState.READY:
            raise AgentControlRefused(f"agent {target_agent} is not ready")

"""Dialing in the simulated PBX: the legs a dial creates, the phones that ring at the far end, ``Dial``,
originates, and the simulated callers an inbound call carries.

A Local leg is a ``;1``/``;2`` pair (``LocalBridge`` between them); a device leg is one channel. The phone at the
far end behaves as :class:`~cti.sim.config.PhoneBehaviour` says for its dial string.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cti.sim.callees import draw_callee
from cti.sim.channel import (
    CID_PRES,
    STATE_BUSY,
    STATE_DOWN,
    STATE_RING,
    STATE_RINGING,
    STATE_UP,
    Channel,
    ChannelNamer,
    parse_dial_timeout,
)
from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome
from cti.sim.media import changes, wait
from cti.sim.ports import SimPbx

DEVICE_TECHS = frozenset({"PJSIP", "SIP", "IAX2", "DAHDI"})
# OriginateResponse Reason per dial status, as Asterisk reports them.
ORIGINATE_REASON = {"ANSWER": 4, "BUSY": 5, "NOANSWER": 3, "CONGESTION": 8}
DEFAULT_ORIGINATE_TIMEOUT = 30.0


@dataclass(slots=True)
class OriginateRequest:
    """The parts of an AMI ``Originate`` the simulator acts on."""

    dial_string: str
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    data: str = ""
    caller_num: str = ""
    caller_name: str = ""
    timeout: float = DEFAULT_ORIGINATE_TIMEOUT
    account: str = ""
    variables: list[tuple[str, str]] = field(default_factory=list)
    channel_id: str = ""
    other_channel_id: str = ""


@dataclass(slots=True)
class OriginateResult:
    """Outcome of an originate: ``channel`` is the originated channel (None when it failed)."""

    reason: int
    channel: Channel | None


class Dialer:
    """Places and rings the calls of one PBX; counts the originates that were answered."""

    def __init__(self, pbx: SimPbx) -> None:
        self.pbx = pbx
        self.namer = ChannelNamer(int(pbx.clock.now()))
        self.callers: dict[str, CallerScript] = {}
        self.processed_calls = 0
        self._callee_rng = random.Random(pbx.config.seed)

    # ---- legs -----------------------------------------------------------------------------------

    def _new_channel(
        self, name: str, *, linkedid: str | None, state: int, context: str, exten: str, uniqueid: str = ""
    ) -> Channel:
        uid = uniqueid or self.namer.uniqueid()
        chan = Channel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid or uid,
            created=self.pbx.clock.now(),
            state=state,
            context=context,
            exten=exten,
        )
        self.pbx.add_channel(chan)
        return chan

    def _set_caller(
        self,
        chan: Channel,
        num: str,
        name: str,
        account: str,
        variables: Sequence[tuple[str, str]],
        *,
        first_leg: bool,
    ) -> None:
        """The caller-ID / account / variable events Asterisk raises while setting up a new leg."""
        for var, value in reversed(variables) if first_leg else variables:
            self.pbx.set_variable(chan, var, value)
        if account and first_leg:
            old, chan.account_code = chan.account_code, account
            self.pbx.chan_event("NewAccountCode", "call,all", chan, [("OldAccountCode", old)])
        if num or name:
            chan.caller_num, chan.caller_name = num, name
            chan.connected_num, chan.connected_name = num, name
            if not first_leg:
                chan.account_code = account or chan.account_code
            self.pbx.chan_event("NewCallerid", "call,all", chan, [("CID-CallingPres", CID_PRES)])
        if account and not first_leg:
            self.pbx.chan_event("NewAccountCode", "call,all", chan, [("OldAccountCode", "")])
        if num or name:
            self.pbx.chan_event("NewConnectedLine", "call,all", chan)

    def _create_leg(
        self,
        dial_string: str,
        *,
        caller: Channel | None,
        caller_num: str,
        caller_name: str,
        account: str,
        variables: Sequence[tuple[str, str]],
        app: str,
        uniqueids: tuple[str, str] = ("", ""),
    ) -> Channel:
        """Create the outgoing leg for a dial string (a Local pair's ``;1`` or a device channel)."""
        linkedid = caller.linkedid if caller else None
        tech = dial_string.split("/", 1)[0]
        if tech == "Local":
            target = dial_string.split("/", 1)[1].split("/", 1)[0]
            exten, _, context = target.partition("@")
            context = context or "default"
            name1, name2 = self.namer.local_pair(f"{exten}@{context}")
            one = self._new_channel(
                name1,
                linkedid=linkedid,
                state=STATE_DOWN,
                context=context,
                exten=exten,
                uniqueid=uniqueids[0],
            )
            two = self._new_channel(
                name2,
                linkedid=one.linkedid,
                state=STATE_RING,
                context=context,
                exten=exten,
                uniqueid=uniqueids[1],
            )
            one.local_peer, two.local_peer = two, one
            self.pbx.newexten(one, app, "(Outgoing Line)", step=False)
            self._set_caller(one, caller_num, caller_name, account, variables, first_leg=True)
            self._set_caller(two, caller_num, caller_name, account, variables, first_leg=False)
            self.pbx.emit(
                "LocalBridge",
                "call,all",
                [
                    *one.snapshot("LocalOne"),
                    *two.snapshot("LocalTwo"),
                    ("Context", context),
                    ("Exten", exten),
                    ("LocalOptimization", "Yes"),
                ],
            )
            return one
        resource = dial_string.split("/", 1)[1] if "/" in dial_string else dial_string
        chan = self._new_channel(
            self.namer.device(dial_string),
            linkedid=linkedid,
            state=STATE_DOWN,
            context="default",
            exten=resource.split("@", 1)[0],
            uniqueid=uniqueids[0],
        )
        chan.application, chan.app_data = app, "(Outgoing Line)"  # as the Local ;1 shows it, with no Newexten
        self._set_caller(chan, caller_num, caller_name, account, variables, first_leg=False)
        return chan

    def phone_for(self, dial_string: str) -> PhoneBehaviour:
        """The phone a dial string rings: a listed one, a callee of the population, else the default."""
        config = self.pbx.config
        listed = config.phones.get(dial_string)
        if listed is not None:
            return listed
        number, _, context = dial_string.removeprefix("Local/").partition("@")
        if config.callees is not None and dial_string.startswith("Local/") and context == config.callee_context:
            return draw_callee(config.callees, number, self._callee_rng, self.pbx.clock.now())
        return config.default_phone

    # ---- dialing --------------------------------------------------------------------------------

    async def dial(
        self, leg: Channel, caller: Channel | None, dial_string: str, timeout: float | None,
        auto_answer_after: float | None = None,
    ) -> str:
        """Ring ``leg`` (created by :meth:`_create_leg`) until it answers or fails; the DialStatus. A phone
        that auto-answers answers by itself after ``auto_answer_after`` seconds when that is given."""
        dest = leg.snapshot("Dest")
        base = caller.snapshot() if caller is not None else []
        self.pbx.emit(
            "DialBegin",
            "call,all",
            [
                *base,
                *dest,
                (
                    "DialString",
                    dial_string.split("/", 1)[-1] if dial_string.startswith("Local/") else dial_string,
                ),
            ],
        )
        phone = self.phone_for(dial_string)
        if auto_answer_after is not None and phone.auto_answers and phone.outcome in (
                PhoneOutcome.ANSWER, PhoneOutcome.NO_ANSWER):
            phone = replace(phone, outcome=PhoneOutcome.ANSWER, answer_after=auto_answer_after)
        leg.dialing, leg.dialed_by = True, caller
        far = leg.local_peer
        if far is not None:
            runs_dialplan = far.context in self.pbx.config.inbound_contexts or (
                self.pbx.dialplan.extension(far.context, far.exten) is not None
            )
            if dial_string not in self.pbx.config.phones and runs_dialplan:
                self.pbx.spawn(lambda: self.pbx.run_dialplan(far))
            else:
                self.pbx.spawn(lambda: self._run_phone_local(far, phone))
        else:
            self.pbx.spawn(lambda: self._run_phone_device(leg, phone))
        result = await self._await_dial(leg, caller, timeout)
        self.dial_end(leg, result)
        return result

    def dial_end(self, leg: Channel, status: str) -> None:
        """``DialEnd`` for a leg being dialled (once); raised the moment it answers, as Asterisk does."""
        if not leg.dialing:
            return
        leg.dialing = False
        caller = leg.dialed_by
        self.pbx.emit(
            "DialEnd",
            "call,all",
            [
                *(caller.snapshot() if caller is not None else []),
                *leg.snapshot("Dest"),
                ("DialStatus", status),
            ],
        )

    async def _await_dial(self, leg: Channel, caller: Channel | None, timeout: float | None) -> str:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + self.pbx.clock.real(timeout)
        rang = False
        while True:
            if leg.state == STATE_UP:
                return "ANSWER"
            if leg.dial_status:
                return leg.dial_status
            if leg.dead:
                return "NOANSWER" if leg.hangup_cause in (19, 21, 16) else "CHANUNAVAIL"
            if leg.state == STATE_RINGING and not rang:
                rang = True
                self.pbx.emit(
                    "DialState",
                    "call,all",
                    [
                        *(caller.snapshot() if caller is not None else []),
                        *leg.snapshot("Dest"),
                        ("DialStatus", "RINGING"),
                    ],
                )
            if caller is not None and (caller.dead or caller.pulled):  # a redirect cancels the Dial too
                return "CANCEL"
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return "NOANSWER"
            await changes([leg] + ([caller] if caller is not None else []), remaining)

    # ---- the phones at the far end -----------------------------------------------------------------

    async def _run_phone_local(self, far: Channel, phone: PhoneBehaviour) -> None:
        """The far (``;2``) half of a Local leg behaving like a phone."""
        near = far.local_peer
        assert near is not None
        try:
            if phone.outcome in (PhoneOutcome.REJECT, PhoneOutcome.INVALID):
                cause = 21 if phone.outcome is PhoneOutcome.REJECT else 1
                self.pbx.newexten(far, "Hangup", str(cause))
                self.pbx.hangup(far, cause)
                return
            if phone.outcome is PhoneOutcome.CONGESTION:
                self.pbx.newexten(far, "Progress")
                self.pbx.newexten(far, "Congestion", "3")
                self.pbx.set_state(far, STATE_BUSY)
                near.dial_status = "CONGESTION"
                near.wake()
                self.pbx.hangup(far, 34)
                return
            if phone.answer_after > 0:
                self.pbx.newexten(far, "Ringing")
                self.pbx.set_state(near, STATE_RINGING)
                near.wake()
                self.pbx.newexten(far, "Wait", f"{phone.answer_after:g}")
                if await wait(self.pbx.clock, [far], phone.answer_after) is not None:
                    return
            if phone.outcome is PhoneOutcome.BUSY:
                self.pbx.newexten(far, "Busy", "3")
                self.pbx.set_state(far, STATE_BUSY)
                near.dial_status = "BUSY"
                near.wake()
                self.pbx.hangup(far, 17)
                return
            if phone.outcome is PhoneOutcome.NO_ANSWER:
                near.dial_status = "NOANSWER"
                near.wake()
                self.pbx.hangup(far, 19)
                return
            self.pbx.newexten(far, "Answer")
            near.greeting = phone.greeting  # what AMD() on the originated half hears
            self.pbx.answer(far)
            if phone.talk_time is not None:
                self.pbx.newexten(far, "Wait", f"{phone.talk_time:g}")
                if not await self._talks(far, phone.talk_time):
                    return
                self.pbx.newexten(far, "Hangup", "16")
                self.pbx.hangup(far, 16)
                return
            await wait(self.pbx.clock, [far], None)
        finally:
            if not far.gone:
                self.pbx.hangup(far, far.hangup_cause if far.hangup_cause is not None else 16)

    async def _run_phone_device(self, chan: Channel, phone: PhoneBehaviour) -> None:
        """A device channel (``PJSIP/1001-…``) behaving like the phone at the far end."""
        if phone.outcome in (PhoneOutcome.REJECT, PhoneOutcome.CONGESTION, PhoneOutcome.INVALID):
            chan.dial_status = "CONGESTION" if phone.outcome is PhoneOutcome.CONGESTION else "NOANSWER"
            cause = {PhoneOutcome.CONGESTION: 34, PhoneOutcome.REJECT: 21}.get(phone.outcome, 1)
            self.pbx.hangup(chan, cause, soft_cause=None)
            return
        if phone.answer_after > 0:
            self.pbx.set_state(chan, STATE_RINGING)
            chan.wake()
            if await wait(self.pbx.clock, [chan], phone.answer_after) is not None:
                return
        if phone.outcome is not PhoneOutcome.ANSWER:
            busy = phone.outcome is PhoneOutcome.BUSY
            chan.dial_status = "BUSY" if busy else "NOANSWER"
            self.pbx.hangup(chan, 17 if busy else 19, soft_cause=None)
            return
        chan.greeting = phone.greeting
        self.pbx.answer(chan)
        if phone.talk_time is None:
            return  # stays up until the other side hangs it up
        if await self._talks(chan, phone.talk_time):
            # Whoever runs the channel now (a bridge, or the dialplan a redirect gave it) ends it.
            chan.hangup_cause = 16
            self.pbx.chan_event("HangupRequest", "call,all", chan, [("Cause", "16")])
            chan.wake()

    async def _talks(self, chan: Channel, seconds: float) -> bool:
        """A phone's talk of ``seconds``; False when the channel hung up first. Redirects and bridges moving
        the channel around do not cut it short."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.pbx.clock.real(seconds)
        while not chan.dead:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            await changes([chan], remaining)
        return False

    # ---- the Dial application and originates -----------------------------------------------------

    async def dial_and_bridge(self, caller: Channel, dial_string: str, timeout: float | None,
                              auto_answer_after: float | None = None) -> str:
        """The ``Dial`` application: ring, bridge on answer, return when the bridge is over (either side hung
        up or was redirected, or the leg was taken into another bridge)."""
        leg = self._create_leg(
            dial_string,
            caller=caller,
            caller_num=caller.caller_num,
            caller_name=caller.caller_name,
            account=caller.account_code,
            variables=(),
            app="AppDial",
        )
        status = await self.dial(leg, caller, dial_string, timeout, auto_answer_after)
        if status != "ANSWER":
            if not leg.gone:
                self.pbx.hangup(leg, 16 if status == "CANCEL" else 19, soft_cause=None)
            return status
        self.pbx.bridges.dial(leg, caller)
        await self.pbx.bridges.stay(caller)
        return status

    async def originate(self, req: OriginateRequest, script: CallerScript | None = None) -> OriginateResult:
        """Place an outgoing call; once answered the channel runs ``application`` or the dialplan."""
        tech = req.dial_string.split("/", 1)[0]
        if "/" not in req.dial_string or (tech != "Local" and tech not in DEVICE_TECHS):
            return OriginateResult(0, None)
        leg = self.create_originated_leg(req, script)
        return await self.complete_originate(leg, req)

    def create_originated_leg(self, req: OriginateRequest, script: CallerScript | None = None) -> Channel:
        """The channel an originate creates; ``script`` makes it a simulated caller once answered."""
        leg = self._create_leg(
            req.dial_string,
            caller=None,
            caller_num=req.caller_num,
            caller_name=req.caller_name,
            account=req.account,
            variables=req.variables,
            app="AppDial2",
            uniqueids=(req.channel_id, req.other_channel_id),
        )
        if script is not None:
            self.callers[leg.name] = script
        return leg

    async def complete_originate(self, leg: Channel, req: OriginateRequest) -> OriginateResult:
        """Dial the created leg; on answer start its application or dialplan."""
        status = await self.dial(leg, None, req.dial_string, req.timeout)
        if status != "ANSWER":
            self.callers.pop(leg.name, None)
            reason = ORIGINATE_REASON.get(status, 0)
            if leg.dial_status in ("BUSY", "CONGESTION"):
                cause = 0  # Asterisk reports the originating leg of a busy/congested call as cause 0
            elif leg.dial_status or leg.hangup_cause is None:
                cause = 19
            else:  # the far end hung up before answering (e.g. rejected): that is no answer status at all
                cause, reason = leg.hangup_cause, 0
            if not leg.gone:
                self.pbx.hangup(leg, cause, soft_cause=None)
            return OriginateResult(reason, None)
        self.processed_calls += 1
        if req.application:
            self.pbx.spawn(lambda: self._run_application(leg, req.application, req.data))
        else:
            leg.context, leg.exten, leg.priority = (
                req.context or leg.context,
                req.exten or leg.exten,
                req.priority,
            )
            self.pbx.spawn(lambda: self.pbx.run_dialplan(leg))
        return OriginateResult(4, leg)

    async def _run_application(self, chan: Channel, application: str, data: str) -> None:
        """An originate straight into an application: ``Dial`` (ring the dial string, bridge on answer, then
        hang up as Asterisk does when the application returns) or a waiting one."""
        chan.has_pbx = True
        if application.lower() == "dial":  # no Newexten: a real Asterisk raises none for it (trace 14)
            chan.application, chan.app_data = application, data
            dial_string, _, rest = data.partition(",")
            await self.dial_and_bridge(chan, dial_string, parse_dial_timeout(rest.partition(",")[0]))
            if not chan.gone:
                self.pbx.hangup(chan, chan.hangup_cause if chan.hangup_cause is not None else 16)
            return
        self.pbx.newexten(chan, application, data, step=False)
        seconds: float | None = None
        if application.lower() == "wait":
            try:
                seconds = float(data)
            except ValueError:
                seconds = 0.0
        await wait(self.pbx.clock, [chan], seconds)
        if chan.pulled and not chan.dead:  # sent elsewhere or taken into a bridge: it gets a dialplan (async goto)
            await self.pbx.run_dialplan(chan)
        elif not chan.gone:
            self.pbx.hangup(chan, chan.hangup_cause if chan.hangup_cause is not None else 16)

    # ---- inbound calls and simulated callers -----------------------------------------------------

    def place_inbound_call(
        self,
        dnis: str,
        caller_num: str,
        caller_name: str = "",
        script: CallerScript | None = None,
        variables: Sequence[tuple[str, str]] = (),
        context: str | None = None,
    ) -> Channel:
        """A call from the network into the inbound context; returns the caller-side channel (``;1``).

        Like the traces, it is a Local pair: ``;2`` runs the inbound dialplan (answer, then FastAGI) and
        the simulated caller on ``;1`` presses ``script``'s digits and hangs up when its patience runs out.
        """
        wait_context = self.pbx.config.wait_contexts[0] if self.pbx.config.wait_contexts else "caller"
        req = OriginateRequest(
            dial_string=f"Local/{dnis}@{context or self.pbx.config.inbound_contexts[0]}",
            context=wait_context,
            exten="wait",
            caller_num=caller_num,
            caller_name=caller_name,
            variables=list(variables),
        )
        leg = self.create_originated_leg(req, script or CallerScript())

        async def complete() -> None:
            await self.complete_originate(leg, req)

        self.pbx.spawn(complete)
        return leg

    async def run_caller_side(self, chan: Channel) -> None:
        """A channel in a wait context: the caller's side of a call, run by its simulated caller (if any)."""
        self.pbx.newexten(chan, "NoOp", f"caller side {chan.name} waiting")
        self.pbx.newexten(chan, "Wait", "120", step=False)
        script = self.callers.pop(chan.name, None)
        peer = chan.local_peer
        if script is not None and peer is not None:
            await self._run_caller(chan, peer, script)
        else:
            await wait(self.pbx.clock, [chan], None)


    async def _run_caller(self, one: Channel, two: Channel, script: CallerScript) -> None:
        """The simulated caller on ``;1``: digits when the IVR listens; it hangs up when its patience runs out
        before an agent answers, or ``talk_time`` after one did (time on hold or in a transfer included)."""
        one.utterances.extend(script.speech)
        self.pbx.spawn(lambda: self._press_digits(one, two, script.digits))
        loop = asyncio.get_running_loop()
        start = loop.time()
        while two.bridge is None:
            if one.dead or one.pulled:
                return
            left = None
            if script.patience is not None:
                left = script.patience - (loop.time() - start) * self.pbx.clock.speed
                if left <= 0:
                    self.pbx.hangup(one, 16, soft_cause=16)
                    return
            await changes([one, two], None if left is None else self.pbx.clock.real(left))
        if await wait(self.pbx.clock, [one], script.talk_time) is None and not one.dead:
            self.pbx.hangup(one, 16)

    async def _press_digits(self, one: Channel, two: Channel, digits: Sequence[tuple[float, str]]) -> None:
        for delay, digit in digits:
            while not two.listening and not one.dead and not two.gone:
                await changes([one, two], None)
            if one.dead:
                return
            await self.pbx.clock.sleep(delay)
            if one.dead:
                return
            self.pbx.deliver_dtmf(one, digit, 100)

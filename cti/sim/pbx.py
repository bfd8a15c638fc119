"""The simulated PBX core: channels, calls, dialplan and dialing, and the AMI events they raise (bridges are
:mod:`cti.sim.bridging`'s).

Event sequences follow the recorded traces (``tests/fixtures/traces``): a Local call is a ``;1``/``;2``
pair; a hang-up is ``SoftHangupRequest`` (the channel), ``HangupRequest`` (its Local peer), ``Hangup``
and ``Cdr``; dialplan applications show as ``Newexten``. Every call is one asyncio task per channel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bus.tasks import TaskSet
from cti.sim.agi_client import run_fastagi
from cti.sim.bridging import Bridges
from cti.sim.channel import (
    CAUSE_TEXT,
    STATE_BUSY,
    STATE_DOWN,
    STATE_RING,
    STATE_RINGING,
    STATE_UP,
    Channel,
    ChannelNamer,
    Interrupt,
    Place,
    escape_c,
)
from cti.sim.clock import SimClock
from cti.sim.config import CallerScript, PhoneBehaviour, PhoneOutcome, SimulatorConfig
from cti.sim.dialplan import DialplanRunner, load_dialplan, merge, shipped_dialplan

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
EventSink = Callable[[Headers], None]

DEVICE_TECHS = frozenset({"PJSIP", "SIP", "IAX2", "DAHDI"})
# OriginateResponse Reason per dial status, as Asterisk reports them.
ORIGINATE_REASON = {"ANSWER": 4, "BUSY": 5, "NOANSWER": 3, "CONGESTION": 8}
DEFAULT_ORIGINATE_TIMEOUT = 30.0
CID_PRES = "0 (Presentation Allowed, Not Screened)"


class OriginateFailed(Exception):
    """The originated call did not answer; ``reason`` is the OriginateResponse Reason code."""

    def __init__(self, reason: int) -> None:
        super().__init__(f"originate failed, reason {reason}")
        self.reason = reason


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


class Pbx:
    """The simulated Asterisk: owns every channel and emits AMI events to the registered sinks."""

    def __init__(self, config: SimulatorConfig, clock: SimClock) -> None:
        self.config = config
        self.clock = clock
        self.started = clock.now()
        self.channels: dict[str, Channel] = {}
        self.globals: dict[str, str] = {}
        self.database: dict[tuple[str, str], str] = {}
        self.sinks: list[EventSink] = []
        self.namer = ChannelNamer(int(clock.now()))
        self.callers: dict[str, CallerScript] = {}
        self._tasks = TaskSet("PBX simulator", log)
        self.processed_calls = 0
        self.bridges = Bridges(self)
        self.dialplan = DialplanRunner(
            self,
            merge(
                *([shipped_dialplan(config.agi_url)] if config.shipped_dialplan else []),
                *([load_dialplan(config.dialplan)] if config.dialplan else []),
            ),
        )

    # ---- events ---------------------------------------------------------------------------------

    def emit(self, event: str, privilege: str, headers: Iterable[tuple[str, str]]) -> None:
        message = [("Event", event), ("Privilege", privilege), *headers]
        for sink in list(self.sinks):
            sink(message)

    def chan_event(
        self, event: str, privilege: str, chan: Channel, extra: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.emit(event, privilege, [*chan.snapshot(), *extra])

    def newexten(self, chan: Channel, application: str, data: str = "", *, step: bool = True) -> None:
        """Run a dialplan step: ``Newexten`` with the application, then the priority moves on."""
        chan.application, chan.app_data = application, data
        # AppData is written unescaped by Asterisk; the simulator escapes it so no value forges events.
        self.chan_event(
            "Newexten",
            "dialplan,all",
            chan,
            [("Extension", chan.exten), ("Application", application), ("AppData", escape_c(data))],
        )
        if step:
            chan.priority += 1

    def set_variable(self, chan: Channel | None, name: str, value: str) -> None:
        """Set a channel (or, with no channel, global) variable and emit ``VarSet``."""
        if chan is None:
            self.globals[name] = value
            self.emit(
                "VarSet",
                "dialplan,all",
                [("Channel", "none"), ("Uniqueid", "none"), ("Variable", name), ("Value", escape_c(value))],
            )
            return
        if name.upper() == "CDR(USERFIELD)":
            chan.cdr_userfield = value
            return
        if name.upper() in ("CALLERID(NUM)", "CALLERID(NAME)"):
            if name.upper().endswith("(NUM)"):
                chan.caller_num = value
            else:
                chan.caller_name = value
            self.chan_event("NewCallerid", "call,all", chan, [("CID-CallingPres", CID_PRES)])
            return
        chan.variables[name.lstrip("_")] = value
        self.chan_event("VarSet", "dialplan,all", chan, [("Variable", name), ("Value", escape_c(value))])

    def get_variable(self, chan: Channel | None, name: str) -> str | None:
        if chan is not None:
            value = chan.get_variable(name)
            if value is not None:
                return value
        upper = name.upper()
        if upper == "VERSION()":
            return "GIT-master-sim"
        if upper == "EPOCH":
            return str(int(self.clock.now()))
        return self.globals.get(name)

    def set_state(self, chan: Channel, state: int) -> None:
        if chan.state != state:
            chan.state = state
            if state == STATE_UP and chan.answered_at is None:
                chan.answered_at = self.clock.now()
            self.chan_event("Newstate", "call,all", chan)

    # ---- channels -------------------------------------------------------------------------------

    def find(self, name: str) -> Channel | None:
        return self.channels.get(name)

    def find_prefix(self, text: str) -> Channel | None:
        """The channel an application or the AMI Bridge action names, as ``ast_channel_get_by_name_prefix``
        finds it: the first whose name starts with ``text`` (case-insensitive), else by Uniqueid prefix."""
        if not text:
            return None
        exact = self.channels.get(text)
        if exact is not None:
            return exact
        wanted = text.lower()
        found = next((c for c in self.channels.values() if c.name.lower().startswith(wanted)), None)
        return found or next((c for c in self.channels.values() if c.uniqueid.startswith(text)), None)

    def _new_channel(
        self, name: str, *, linkedid: str | None, state: int, context: str, exten: str, uniqueid: str = ""
    ) -> Channel:
        uid = uniqueid or self.namer.uniqueid()
        chan = Channel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid or uid,
            created=self.clock.now(),
            state=state,
            context=context,
            exten=exten,
        )
        self.channels[name] = chan
        self.chan_event("Newchannel", "call,all", chan)
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
            self.set_variable(chan, var, value)
        if account and first_leg:
            old, chan.account_code = chan.account_code, account
            self.chan_event("NewAccountCode", "call,all", chan, [("OldAccountCode", old)])
        if num or name:
            chan.caller_num, chan.caller_name = num, name
            chan.connected_num, chan.connected_name = num, name
            if not first_leg:
                chan.account_code = account or chan.account_code
            self.chan_event("NewCallerid", "call,all", chan, [("CID-CallingPres", CID_PRES)])
        if account and not first_leg:
            self.chan_event("NewAccountCode", "call,all", chan, [("OldAccountCode", "")])
        if num or name:
            self.chan_event("NewConnectedLine", "call,all", chan)

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
            self.newexten(one, app, "(Outgoing Line)", step=False)
            self._set_caller(one, caller_num, caller_name, account, variables, first_leg=True)
            self._set_caller(two, caller_num, caller_name, account, variables, first_leg=False)
            self.emit(
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
        return self.config.phones.get(dial_string, self.config.default_phone)

    def spawn(self, coro: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """Run ``coro()`` as a tracked task (cancelled on :meth:`shutdown`; a failure is logged)."""
        self._tasks.spawn(coro())

    async def shutdown(self) -> None:
        await self._tasks.cancel_all()

    # ---- hang-up --------------------------------------------------------------------------------

    def request_hangup(self, chan: Channel, cause: int) -> None:
        """An AMI ``Hangup``: an application in AGI learns of it; anything else hangs up at once."""
        if chan.gone:
            return
        if chan.agi_active and chan.hangup_cause is None:
            # SoftHangupRequest's Cause is the soft hang-up's reason flag (16: explicit), not the cause.
            self.chan_event("SoftHangupRequest", "call,all", chan, [("Cause", "16")])
            chan.soft_requested = True
            chan.hangup_cause = cause
            chan.wake()
            return
        self.hangup(chan, cause)

    def hangup(self, chan: Channel, cause: int, *, soft_cause: int | None = 16) -> None:
        """Hang ``chan`` up now: SoftHangupRequest, HangupRequest on its Local peer, Hangup, Cdr."""
        if chan.gone:
            return
        if soft_cause is not None and not chan.soft_requested:
            self.chan_event("SoftHangupRequest", "call,all", chan, [("Cause", str(soft_cause))])
        peer = chan.local_peer
        if peer is not None and not peer.gone and peer.hangup_cause is None:
            peer.hangup_cause = cause
            self.chan_event("HangupRequest", "call,all", peer, [("Cause", str(cause))])
            peer.wake()
        bridge = self.bridges.pull(chan)
        chan.gone = True
        if chan.hangup_cause is None:
            chan.hangup_cause = cause
        self.channels.pop(chan.name, None)
        self.chan_event(
            "Hangup",
            "call,all",
            chan,
            [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))],
        )
        self.emit_cdr(chan)
        chan.wake()
        if bridge is not None:
            self.bridges.dissolve(bridge)

    def emit_cdr(self, chan: Channel, disposition: str | None = None) -> None:
        end = self.clock.now()
        answered = chan.answered_at
        fmt = "%Y-%m-%d %H:%M:%S"
        dest_chan = ""
        if chan.bridge is not None:
            dest_chan = next((c.name for c in chan.bridge.channels if c is not chan), "")
        if disposition is None:
            disposition = "ANSWERED" if answered is not None else "NO ANSWER"
        self.emit(
            "Cdr",
            "cdr,all",
            [
                ("AccountCode", chan.account_code),
                ("Source", escape_c(chan.caller_num)),
                ("Destination", chan.exten),
                ("DestinationContext", chan.context),
                ("CallerID", f'"{escape_c(chan.caller_name)}" <{escape_c(chan.caller_num)}>'),
                ("Channel", chan.name),
                ("DestinationChannel", dest_chan),
                ("LastApplication", chan.application),
                ("LastData", escape_c(chan.app_data)),
                ("StartTime", time.strftime(fmt, time.localtime(chan.created))),
                ("AnswerTime", time.strftime(fmt, time.localtime(answered)) if answered is not None else ""),
                ("EndTime", time.strftime(fmt, time.localtime(end))),
                ("Duration", str(int(end - chan.created))),
                ("BillableSeconds", str(int(end - answered)) if answered is not None else "0"),
                ("Disposition", disposition),
                ("AMAFlags", "DOCUMENTATION"),
                ("UniqueID", chan.uniqueid),
                ("UserField", escape_c(chan.cdr_userfield)),
            ],
        )

    # ---- waiting --------------------------------------------------------------------------------

    async def wait(
        self, chans: Sequence[Channel], seconds: float | None, *, digits: str = ""
    ) -> Interrupt | None:
        """Wait ``seconds`` (None: for ever) unless a channel is hung up or redirected, or (on the first
        channel) a DTMF digit in ``digits`` arrives. Returns None on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + self.clock.real(seconds)
        first = chans[0]
        while True:
            if any(c.dead for c in chans):
                return Interrupt.HANGUP
            if first.pulled:
                return Interrupt.REDIRECT
            while first.dtmf and digits:
                if first.dtmf[0] in digits:
                    return Interrupt.DIGIT
                first.dtmf.popleft()
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            await self.changes(chans, remaining)

    @staticmethod
    async def changes(chans: Sequence[Channel], timeout: float | None) -> None:
        """Return at the next change on any of ``chans`` or after ``timeout`` real seconds."""
        pairs = [(c, c.waiter()) for c in chans]
        try:
            await asyncio.wait([f for _, f in pairs], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for chan, fut in pairs:
                chan.drop_waiter(fut)
                fut.cancel()

    def prompt_seconds(self, name: str) -> float | None:
        """Length of a prompt file, or None when the simulated sound store does not have it."""
        if name in self.config.missing_prompts:
            return None
        return self.config.prompt_lengths.get(name, self.config.prompt_seconds)

    async def playback(self, chan: Channel, names: Sequence[str]) -> Interrupt | None:
        """The ``Playback`` application: each prompt in turn, uninterruptible by digits."""
        for name in names:
            length = self.prompt_seconds(name)
            if length is None:
                self.set_variable(chan, "PLAYBACKSTATUS", "FAILED")
                return None
            interrupt = await self.wait([chan], length)
            if interrupt is not None:
                return interrupt
        self.set_variable(chan, "PLAYBACKSTATUS", "SUCCESS")
        return None

    async def music_on_hold(self, chan: Channel, music_class: str, seconds: float | None) -> Interrupt | None:
        """The ``MusicOnHold`` application: music for ``seconds`` (None: until interrupted)."""
        chan.music = music_class or "default"
        self.chan_event("MusicOnHoldStart", "call,all", chan, [("Class", chan.music)])
        interrupt = await self.wait([chan], seconds)
        self.stop_music(chan)
        return interrupt

    def stop_music(self, chan: Channel) -> None:
        """End the music on hold ``chan`` hears, if any (a bridge taking the channel stops it at once)."""
        if chan.music is not None and not chan.gone:
            self.chan_event("MusicOnHoldStop", "call,all", chan)
        chan.music = None

    # ---- DTMF -----------------------------------------------------------------------------------

    def deliver_dtmf(self, chan: Channel, digit: str, duration_ms: int) -> None:
        """DTMF played on ``chan``: it arrives on the other half of a Local pair (or on ``chan``)."""
        target = chan.local_peer if chan.local_peer is not None and chan.name.endswith(";1") else chan
        if target.gone:
            return
        self.chan_event("DTMFBegin", "dtmf,all", target, [("Digit", digit), ("Direction", "Received")])
        self.chan_event(
            "DTMFEnd",
            "dtmf,all",
            target,
            [("Digit", digit), ("DurationMs", str(duration_ms)), ("Direction", "Received")],
        )
        target.dtmf.append(digit)
        target.wake()

    # ---- redirect -------------------------------------------------------------------------------

    def redirect(self, chan: Channel, place: Place) -> None:
        """An AMI ``Redirect``: send ``chan`` to ``place`` (context, exten, priority); whatever it runs is
        interrupted at once, and a bridge it is in dissolves (a Dial's outbound leg left alone hangs up)."""
        self._send(chan, place)
        self.bridges.leave(chan)

    def redirect_both(self, chan: Channel, place: Place, extra: Channel, extra_place: Place) -> None:
        """An AMI Dual ``Redirect``: both are sent before either leaves its bridge (Asterisk's
        AST_FLAG_BRIDGE_DUAL_REDIRECT_WAIT), so a bridge they share lets both go where they are sent."""
        self._send(chan, place)
        self._send(extra, extra_place)
        self.bridges.leave(chan)
        self.bridges.leave(extra)

    @staticmethod
    def _send(chan: Channel, place: Place) -> None:
        chan.after_bridge = None  # a redirect discards where Bridge() would have let the channel go on
        chan.redirect_to = place
        chan.wake()

    # ---- dialplan -------------------------------------------------------------------------------

    async def run_dialplan(self, chan: Channel) -> None:
        """Run ``chan`` from its context/exten until it hangs up, following redirects and waiting out the
        bridges it is pulled into."""
        chan.has_pbx = True
        try:
            while not chan.gone:
                if chan.imparted:
                    await self.bridges.ride(chan)
                    continue
                if chan.hangup_cause is not None:
                    self.hangup(chan, chan.hangup_cause)
                    return
                if chan.redirect_to is not None:
                    chan.context, chan.exten, chan.priority = chan.redirect_to
                    chan.redirect_to = None
                    chan.dtmf.clear()
                if chan.context in self.config.wait_contexts:
                    await self._run_wait_context(chan)
                elif self.dialplan.extension(chan.context, chan.exten) is not None:
                    await self.dialplan.run(chan)
                else:
                    await self._run_agi_context(chan)
        finally:
            chan.has_pbx = False
            if not chan.gone:
                self.hangup(chan, chan.hangup_cause if chan.hangup_cause is not None else 16)

    async def _run_wait_context(self, chan: Channel) -> None:
        self.newexten(chan, "NoOp", f"caller side {chan.name} waiting")
        self.newexten(chan, "Wait", "120", step=False)
        script = self.callers.pop(chan.name, None)
        peer = chan.local_peer
        if script is not None and peer is not None:
            await self._run_caller(chan, peer, script)
        else:
            await self.wait([chan], None)

    async def _run_agi_context(self, chan: Channel) -> None:
        if chan.context in self.config.inbound_contexts:
            self.newexten(
                chan,
                "NoOp",
                f'Inbound call from "{chan.caller_name}" <{chan.caller_num}> to DNIS {chan.exten}',
            )
            if chan.state != STATE_UP:
                self.newexten(chan, "Answer")
                self.answer(chan)
            self.newexten(chan, "Set", "__CALL_TYPE=inbound")
            self.set_variable(chan, "__CALL_TYPE", "inbound")
            self.newexten(chan, "Set", f"__DNIS={chan.exten}")
            self.set_variable(chan, "__DNIS", chan.exten)
        url = self.config.agi_url
        self.newexten(chan, "AGI", url, step=False)
        status = await run_fastagi(self, chan, url)
        chan.application = ""
        if not chan.gone:
            self.set_variable(chan, "AGISTATUS", status.value)
        if chan.dead or chan.pulled:
            return
        chan.priority += 1
        self.newexten(chan, "NoOp", f"AGISTATUS={status.value}")
        self.newexten(chan, "Hangup", "")
        self.hangup(chan, 16)

    def answer(self, chan: Channel) -> None:
        """Answer ``chan``; a Local pair's other half goes up too (and its dial completes)."""
        self.set_state(chan, STATE_UP)
        peer = chan.local_peer
        if peer is not None and not peer.gone:
            self.set_state(peer, STATE_UP)
        for leg in (chan, peer):
            if leg is not None and leg.dialing:
                self.dial_end(leg, "ANSWER")
        chan.wake()
        if peer is not None:
            peer.wake()

    # ---- dialing --------------------------------------------------------------------------------

    async def dial(
        self, leg: Channel, caller: Channel | None, dial_string: str, timeout: float | None
    ) -> str:
        """Ring ``leg`` (created by :meth:`_create_leg`) until it answers or fails; the DialStatus."""
        dest = leg.snapshot("Dest")
        base = caller.snapshot() if caller is not None else []
        self.emit(
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
        leg.dialing, leg.dialed_by = True, caller
        far = leg.local_peer
        if far is not None:
            runs_dialplan = far.context in self.config.inbound_contexts or (
                self.dialplan.extension(far.context, far.exten) is not None
            )
            if dial_string not in self.config.phones and runs_dialplan:
                self.spawn(lambda: self.run_dialplan(far))
            else:
                self.spawn(lambda: self._run_phone_local(far, phone))
        else:
            self.spawn(lambda: self._run_phone_device(leg, phone))
        result = await self._await_dial(leg, caller, timeout)
        self.dial_end(leg, result)
        return result

    def dial_end(self, leg: Channel, status: str) -> None:
        """``DialEnd`` for a leg being dialled (once); raised the moment it answers, as Asterisk does."""
        if not leg.dialing:
            return
        leg.dialing = False
        caller = leg.dialed_by
        self.emit(
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
        deadline = None if timeout is None else loop.time() + self.clock.real(timeout)
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
                self.emit(
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
            await self.changes([leg] + ([caller] if caller is not None else []), remaining)

    async def _run_phone_local(self, far: Channel, phone: PhoneBehaviour) -> None:
        """The far (``;2``) half of a Local leg behaving like a phone."""
        near = far.local_peer
        assert near is not None
        try:
            if phone.outcome is PhoneOutcome.REJECT:
                self.newexten(far, "Hangup", "21")
                self.hangup(far, 21)
                return
            if phone.outcome is PhoneOutcome.CONGESTION:
                self.newexten(far, "Progress")
                self.newexten(far, "Congestion", "3")
                self.set_state(far, STATE_BUSY)
                near.dial_status = "CONGESTION"
                near.wake()
                self.hangup(far, 34)
                return
            if phone.answer_after > 0:
                self.newexten(far, "Ringing")
                self.set_state(near, STATE_RINGING)
                near.wake()
                self.newexten(far, "Wait", f"{phone.answer_after:g}")
                if await self.wait([far], phone.answer_after) is not None:
                    return
            if phone.outcome is PhoneOutcome.BUSY:
                self.newexten(far, "Busy", "3")
                self.set_state(far, STATE_BUSY)
                near.dial_status = "BUSY"
                near.wake()
                self.hangup(far, 17)
                return
            if phone.outcome is PhoneOutcome.NO_ANSWER:
                near.dial_status = "NOANSWER"
                near.wake()
                self.hangup(far, 19)
                return
            self.newexten(far, "Answer")
            self.answer(far)
            if phone.talk_time is not None:
                self.newexten(far, "Wait", f"{phone.talk_time:g}")
                if not await self._talks(far, phone.talk_time):
                    return
                self.newexten(far, "Hangup", "16")
                self.hangup(far, 16)
                return
            await self.wait([far], None)
        finally:
            if not far.gone:
                self.hangup(far, far.hangup_cause if far.hangup_cause is not None else 16)

    async def _run_phone_device(self, chan: Channel, phone: PhoneBehaviour) -> None:
        """A device channel (``PJSIP/1001-…``) behaving like the phone at the far end."""
        if phone.outcome in (PhoneOutcome.REJECT, PhoneOutcome.CONGESTION):
            chan.dial_status = "CONGESTION" if phone.outcome is PhoneOutcome.CONGESTION else "NOANSWER"
            self.hangup(chan, 34 if phone.outcome is PhoneOutcome.CONGESTION else 21, soft_cause=None)
            return
        if phone.answer_after > 0:
            self.set_state(chan, STATE_RINGING)
            chan.wake()
            if await self.wait([chan], phone.answer_after) is not None:
                return
        if phone.outcome is not PhoneOutcome.ANSWER:
            busy = phone.outcome is PhoneOutcome.BUSY
            chan.dial_status = "BUSY" if busy else "NOANSWER"
            self.hangup(chan, 17 if busy else 19, soft_cause=None)
            return
        self.answer(chan)
        if phone.talk_time is None:
            return  # stays up until the other side hangs it up
        if await self._talks(chan, phone.talk_time):
            # Whoever runs the channel now (a bridge, or the dialplan a redirect gave it) ends it.
            chan.hangup_cause = 16
            self.chan_event("HangupRequest", "call,all", chan, [("Cause", "16")])
            chan.wake()

    async def _talks(self, chan: Channel, seconds: float) -> bool:
        """A phone's talk of ``seconds``; False when the channel hung up first. Redirects and bridges moving
        the channel around do not cut it short."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.clock.real(seconds)
        while not chan.dead:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            await self.changes([chan], remaining)
        return False

    async def dial_and_bridge(self, caller: Channel, dial_string: str, timeout: float | None) -> str:
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
        status = await self.dial(leg, caller, dial_string, timeout)
        if status != "ANSWER":
            if not leg.gone:
                self.hangup(leg, 16 if status == "CANCEL" else 19, soft_cause=None)
            return status
        self.bridges.dial(leg, caller)
        await self.bridges.stay(caller)
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
                self.hangup(leg, cause, soft_cause=None)
            return OriginateResult(reason, None)
        self.processed_calls += 1
        if req.application:
            self.spawn(lambda: self._run_application(leg, req.application, req.data))
        else:
            leg.context, leg.exten, leg.priority = (
                req.context or leg.context,
                req.exten or leg.exten,
                req.priority,
            )
            self.spawn(lambda: self.run_dialplan(leg))
        return OriginateResult(4, leg)

    async def _run_application(self, chan: Channel, application: str, data: str) -> None:
        """An originate straight into an application: only waiting ones are simulated."""
        chan.has_pbx = True
        self.newexten(chan, application, data, step=False)
        seconds: float | None = None
        if application.lower() == "wait":
            try:
                seconds = float(data)
            except ValueError:
                seconds = 0.0
        await self.wait([chan], seconds)
        if chan.pulled and not chan.dead:  # sent elsewhere or taken into a bridge: it gets a dialplan (async goto)
            await self.run_dialplan(chan)
        elif not chan.gone:
            self.hangup(chan, chan.hangup_cause if chan.hangup_cause is not None else 16)

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
        wait_context = self.config.wait_contexts[0] if self.config.wait_contexts else "caller"
        req = OriginateRequest(
            dial_string=f"Local/{dnis}@{context or self.config.inbound_contexts[0]}",
            context=wait_context,
            exten="wait",
            caller_num=caller_num,
            caller_name=caller_name,
            variables=list(variables),
        )
        leg = self.create_originated_leg(req, script or CallerScript())

        async def complete() -> None:
            await self.complete_originate(leg, req)

        self.spawn(complete)
        return leg

    async def _run_caller(self, one: Channel, two: Channel, script: CallerScript) -> None:
        """The simulated caller on ``;1``: digits when the IVR listens; it hangs up when its patience runs out
        before an agent answers, or ``talk_time`` after one did (time on hold or in a transfer included)."""
        self.spawn(lambda: self._press_digits(one, two, script.digits))
        loop = asyncio.get_running_loop()
        start = loop.time()
        while two.bridge is None:
            if one.dead or one.pulled:
                return
            left = None
            if script.patience is not None:
                left = script.patience - (loop.time() - start) * self.clock.speed
                if left <= 0:
                    self.hangup(one, 16, soft_cause=16)
                    return
            await self.changes([one, two], None if left is None else self.clock.real(left))
        if await self.wait([one], script.talk_time) is None and not one.dead:
            self.hangup(one, 16)

    async def _press_digits(self, one: Channel, two: Channel, digits: Sequence[tuple[float, str]]) -> None:
        for delay, digit in digits:
            while not two.listening and not one.dead and not two.gone:
                await self.changes([one, two], None)
            if one.dead:
                return
            await self.clock.sleep(delay)
            if one.dead:
                return
            self.deliver_dtmf(one, digit, 100)

"""The simulated PBX: it owns the channels, raises the AMI events, hangs up, redirects and runs the dialplan,
and assembles its parts (bridges: :mod:`cti.sim.bridging`; dialing: :mod:`cti.sim.dialing`; dialplan:
:mod:`cti.sim.dialplan`), which know it only as a :class:`cti.sim.ports.SimPbx`.

Event sequences follow the recorded traces (``tests/fixtures/traces``): a Local call is a ``;1``/``;2``
pair; a hang-up is ``SoftHangupRequest`` (the channel), ``HangupRequest`` (its Local peer), ``Hangup``
and ``Cdr``; dialplan applications show as ``Newexten``. Every call is one asyncio task per channel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from bus.tasks import TaskSet
from cti.sim.agi_client import run_fastagi
from cti.sim.bridging import Bridges
from cti.sim.channel import CAUSE_TEXT, CID_PRES, STATE_UP, Channel, Place, escape_c
from cti.sim.clock import SimClock
from cti.sim.config import SimulatorConfig
from cti.sim.dialing import Dialer
from cti.sim.dialplan import DialplanRunner, load_dialplan, merge, shipped_dialplan
from cti.sim.ports import EventSink

log = logging.getLogger(__name__)


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
        self.dialer = Dialer(self)
        self._tasks = TaskSet("PBX simulator", log)
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

    def add_channel(self, chan: Channel) -> None:
        """A new channel: it joins the PBX's channels and ``Newchannel`` announces it."""
        self.channels[chan.name] = chan
        self.chan_event("Newchannel", "call,all", chan)

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
                    await self.dialer.run_caller_side(chan)
                elif self.dialplan.extension(chan.context, chan.exten) is not None:
                    await self.dialplan.run(chan)
                else:
                    await self._run_agi_context(chan)
        finally:
            chan.has_pbx = False
            if not chan.gone:
                self.hangup(chan, chan.hangup_cause if chan.hangup_cause is not None else 16)

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
                self.dialer.dial_end(leg, "ANSWER")
        chan.wake()
        if peer is not None:
            peer.wake()

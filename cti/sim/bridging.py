"""Bridges of the simulated PBX: entering and leaving them, moving channels between them, ``Bridge()``.

The rules are Asterisk's (``main/bridge.c``, ``main/bridge_after.c``, ``main/features.c``). Every bridge here is
a basic two-party bridge, and it dissolves as soon as a channel leaves it (hung up, redirected, or taken into
another bridge), kicking the other out. A channel that *joined* its bridge (the caller of ``Dial``, the channel
running ``Bridge``) then goes on with its application. A channel that was *imparted* (``Dial``'s outbound leg, a
channel ``Bridge`` took) goes where a redirect sent it, else to its after-bridge place, else it is hung up.

Taking a channel that runs dialplan into a bridge ("yanking" it) ends its application at once; its dialplan
waits for the bridge to let it go. A channel already in a bridge moves over (``BridgeLeave`` there,
``BridgeEnter`` here) and keeps its part. Event order and fields follow trace 06 (the AMI ``Bridge`` action and
a Dual Redirect out of that bridge) and trace 02 (a hang-up in a bridge).
"""

from __future__ import annotations

import re
from enum import StrEnum

from cti.sim.channel import STATE_UP, Bridge, Channel
from cti.sim.media import changes, stop_music
from cti.sim.ports import SimPbx

_OPTION_ARGUMENT = re.compile(r"\([^)]*\)")


class BridgeResult(StrEnum):
    """``BRIDGERESULT`` after the ``Bridge`` application (Asterisk master sets no other value)."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    LOOP = "LOOP"
    NONEXISTENT = "NONEXISTENT"


class Bridges:
    """Every bridge of one PBX and the channels' ways in and out of them."""

    def __init__(self, pbx: SimPbx) -> None:
        self.pbx = pbx

    # ---- the ways into a bridge -----------------------------------------------------------------

    def dial(self, leg: Channel, caller: Channel) -> None:
        """``Dial``'s bridge once ``leg`` answered: the leg imparted, the caller joined (no connected-line
        update: Dial inhibits it)."""
        bridge = self._create()
        self._impart(bridge, leg)
        self._enter(bridge, caller)
        self._link(bridge, connected_line=False)

    async def application(self, chan: Channel, data: str) -> BridgeResult:
        """``Bridge(channel[,options])`` run by ``chan``, returning when its bridge is over.

        The channel is named as ``ast_channel_get_by_name_prefix`` finds it. Without option ``x`` it goes
        on in its own dialplan, at the priority after the one it was taken from, once the bridge ends
        without it; with ``x`` it is hung up. Other options (``p``: a courtesy tone) change nothing here.
        """
        name, _, options = data.partition(",")
        hang_up_after = "x" in _OPTION_ARGUMENT.sub("", options)
        target = self.pbx.find_prefix(name.strip())
        if target is None:
            result = BridgeResult.NONEXISTENT
        elif target is chan:
            result = BridgeResult.LOOP
        elif chan.dead or chan.pulled or not self.takeable(target):
            result = BridgeResult.FAILURE
        else:
            target.after_bridge = None if hang_up_after else (target.context, target.exten, target.priority + 1)
            if chan.state != STATE_UP:
                self.pbx.answer(chan)
            bridge = self._create()
            self._impart(bridge, target)
            self._enter(bridge, chan)
            self._link(bridge, connected_line=True)
            await self.stay(chan)
            result = BridgeResult.SUCCESS
        if not chan.gone:
            self.pbx.set_variable(chan, "BRIDGERESULT", result.value)
        return result

    def pair(self, one: Channel, two: Channel) -> None:
        """The AMI ``Bridge`` action: both channels imparted into a new bridge, each to go on afterwards where
        its dialplan would have gone on (check them with :meth:`takeable` first)."""
        for chan in (one, two):
            # A channel in the middle of an application of its dialplan goes on at the next priority.
            step = 1 if chan.has_pbx and not chan.imparted else 0
            chan.after_bridge = (chan.context, chan.exten, chan.priority + step)
        bridge = self._create()
        self._impart(bridge, one)
        self._impart(bridge, two)
        self._link(bridge, connected_line=True)

    @staticmethod
    def takeable(chan: Channel) -> bool:
        """Whether a bridge can take ``chan``: not hung up, and not a leg still being dialled."""
        return not chan.dead and not chan.dialing

    # ---- being in a bridge ----------------------------------------------------------------------

    async def stay(self, chan: Channel) -> None:
        """Block the application that joined ``chan`` to a bridge until the channel is out of bridges: its
        bridge dissolved, or it hung up or was redirected (then it leaves, and the bridge dissolves).

        A place to go on that another ``Bridge()`` gave the channel takes effect now, as a redirect would.
        """
        while chan.bridge is not None and not chan.dead and chan.redirect_to is None:
            await changes([chan], None)
        self.leave(chan)
        after, chan.after_bridge = chan.after_bridge, None
        if after is not None and not chan.dead and chan.redirect_to is None and self.pbx.dialplan.has_step(after):
            chan.redirect_to = after

    async def ride(self, chan: Channel) -> None:
        """Wait while imparted ``chan`` is bridged, then send it on: where a redirect sent it, else to its
        after-bridge place if that exists, else it is hung up (so is a channel that hung up in the bridge).

        Returns with the channel gone, or with its ``redirect_to`` set.
        """
        while chan.bridge is not None and not chan.dead:
            await changes([chan], None)
        if chan.gone:
            return
        chan.imparted = False
        after, chan.after_bridge = chan.after_bridge, None
        if chan.redirect_to is None and after is not None and self.pbx.dialplan.has_step(after):
            chan.redirect_to = after
        if chan.hangup_cause is not None or chan.redirect_to is None:
            # No dialplan runs it now, so there is no soft hang-up: Asterisk hangs the channel up directly.
            self.pbx.hangup(chan, chan.hangup_cause or 16, soft_cause=None)

    # ---- leaving a bridge -----------------------------------------------------------------------

    def leave(self, chan: Channel) -> None:
        """``chan`` leaves its bridge, if it is in one, and the bridge dissolves."""
        bridge = self.pull(chan)
        if bridge is not None:
            self.dissolve(bridge)

    def pull(self, chan: Channel, *, moving: bool = False) -> Bridge | None:
        """Take ``chan`` out of its bridge: the first half of leaving it, :meth:`dissolve` is the second.

        BRIDGEPEER is cleared on the channel (unless it moves to another bridge) and on the channels the
        bridge is about to kick out, before the ``BridgeLeave``, as in the traces. Then a redirected member
        shows the place it was sent to: in its ``BridgeLeave``, and first in a ``Newexten`` if it runs an
        application (the Dial, or a Dial's ``AppDial`` leg), as Asterisk publishes its moved position.
        """
        bridge = chan.bridge
        if bridge is None:
            return None
        members = [chan, *(c for c in bridge.channels if c is not chan)]
        for member in members[1:] if moving else members:
            self.pbx.set_variable(member, "BRIDGEPEER", "")
        for member in members:
            if member.redirect_to is not None:
                member.context, member.exten, member.priority = member.redirect_to
                if member.application:
                    self.pbx.newexten(member, member.application, member.app_data, step=False)
        bridge.channels.remove(chan)
        chan.bridge = None
        self.pbx.emit("BridgeLeave", "call,all", [*bridge.snapshot(), *chan.snapshot()])
        chan.wake()
        return bridge

    def dissolve(self, bridge: Bridge) -> None:
        """Kick every channel still in ``bridge`` out and destroy it; each kicked channel's owner decides what
        comes next (:meth:`stay`, :meth:`ride`)."""
        kicked = list(bridge.channels)
        for chan in kicked:
            bridge.channels.remove(chan)
            chan.bridge = None
            self.pbx.emit("BridgeLeave", "call,all", [*bridge.snapshot(), *chan.snapshot()])
        self.pbx.emit("BridgeDestroy", "call,all", bridge.snapshot())
        for chan in kicked:
            chan.wake()

    # ---- internals ------------------------------------------------------------------------------

    def _create(self) -> Bridge:
        bridge = Bridge()
        self.pbx.emit("BridgeCreate", "call,all", bridge.snapshot())
        return bridge

    def _enter(self, bridge: Bridge, chan: Channel) -> None:
        chan.bridge = bridge
        bridge.channels.append(chan)
        self.pbx.emit("BridgeEnter", "call,all", [*bridge.snapshot(), *chan.snapshot()])
        chan.wake()

    def _impart(self, bridge: Bridge, chan: Channel) -> None:
        """Put ``chan`` into ``bridge`` on its own account, from wherever it is (``ast_bridge_add_channel``)."""
        stop_music(self.pbx, chan)
        old = chan.bridge
        if old is not None:
            self.pull(chan, moving=True)
            self._enter(bridge, chan)
            self.dissolve(old)
            return
        riding = chan.imparted  # a task already waits on it (kicked out of a bridge, not yet on its way)
        if chan.has_pbx and not riding:
            # Asterisk's yank: the channel in the bridge runs no application and records where its dialplan
            # would go on.
            chan.priority += 1
            chan.application, chan.app_data = "", ""
        chan.imparted = True
        chan.wake()
        if chan.state != STATE_UP:
            self.pbx.answer(chan)
        self._enter(bridge, chan)
        if not chan.has_pbx and not riding:
            self.pbx.spawn(lambda: self._ride_without_pbx(chan))

    def _link(self, bridge: Bridge, *, connected_line: bool) -> None:
        """BRIDGEPEER on both channels; with ``connected_line`` each learns who it now talks to."""
        first, last = bridge.channels[0], bridge.channels[-1]
        self.pbx.set_variable(first, "BRIDGEPEER", last.name)
        self.pbx.set_variable(last, "BRIDGEPEER", first.name)
        if not connected_line:
            return
        for chan, peer in ((last, first), (first, last)):
            if (chan.connected_num, chan.connected_name) != (peer.caller_num, peer.caller_name):
                chan.connected_num, chan.connected_name = peer.caller_num, peer.caller_name
                self.pbx.chan_event("NewConnectedLine", "call,all", chan)

    async def _ride_without_pbx(self, chan: Channel) -> None:
        """An imparted channel with no dialplan of its own; sent somewhere, it gets one (an async goto)."""
        await self.ride(chan)
        if not chan.gone:
            await self.pbx.run_dialplan(chan)

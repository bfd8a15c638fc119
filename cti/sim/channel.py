"""Simulated channels and bridges: names, ids, state, variables and the snapshot headers of AMI events."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

STATE_DOWN = 0
STATE_RING = 4
STATE_RINGING = 5
STATE_UP = 6
STATE_BUSY = 7

STATE_DESC = {
    STATE_DOWN: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    STATE_RING: "Ring",
    STATE_RINGING: "Ringing",
    STATE_UP: "Up",
    STATE_BUSY: "Busy",
}

CAUSE_TEXT = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    1: "Unallocated (unassigned) number",
    21: "Call Rejected",
    32: "Circuit/channel congestion",
    34: "Circuit/channel congestion",
}

UNKNOWN = "<unknown>"
CID_PRES = "0 (Presentation Allowed, Not Screened)"  # the CID-CallingPres of caller-ID events

Place = tuple[str, str, int]  # a place in the dialplan: context, extension, priority


def escape_c(value: str) -> str:
    """Escape control characters the way Asterisk's ``ast_escape_c`` does for snapshot fields.

    Channel data may come from callers; escaping keeps a CR/LF in it from forging AMI headers.
    """
    if not any(c in value for c in "\r\n\t\\"):
        return value
    return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def parse_caller_id(text: str) -> tuple[str, str]:
    """``"Alice Example" <5551234>`` -> (number, name); a bare number is a number."""
    text = text.strip()
    if "<" in text and text.endswith(">"):
        name, _, num = text[:-1].rpartition("<")
        return num.strip(), name.strip().strip('"')
    return text, ""


def parse_dial_timeout(text: str) -> float | None:
    """``Dial``'s ring time: seconds, a decimal part allowed (as Asterisk reads it since 2025); None (ring on)
    for an empty, unreadable or not positive one. A ``^`` progress timeout after it is not simulated."""
    try:
        seconds = float(text.partition("^")[0])
    except ValueError:
        return None
    return seconds if seconds > 0 else None


class Interrupt(Enum):
    """Why a blocking application on a channel stopped early."""

    HANGUP = "hangup"
    REDIRECT = "redirect"
    DIGIT = "digit"


@dataclass(eq=False)
class Channel:
    """One simulated channel. Mutable: the PBX core updates it and snapshots it into events."""

    name: str
    uniqueid: str
    linkedid: str
    created: float
    state: int = STATE_DOWN
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    language: str = "en"
    account_code: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    application: str = ""
    app_data: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    cdr_userfield: str = ""
    answered_at: float | None = None
    # Seconds the answerer at the far end speaks first (set when a simulated phone answers; read by AMD()).
    greeting: float | None = None
    local_peer: Channel | None = None
    bridge: Bridge | None = None
    # Set when a hangup was requested (HangupRequest/SoftHangupRequest seen); the cause to use.
    hangup_cause: int | None = None
    gone: bool = False
    soft_requested: bool = False
    agi_active: bool = False
    # Set by a ringing phone that gave up (BUSY, NOANSWER, CONGESTION); the dialer reads it.
    dial_status: str = ""
    # While this leg is being dialled: who dials it (None for an originate) and whether DialEnd went out.
    dialing: bool = False
    dialed_by: Channel | None = None
    # True while an application reads DTMF (a simulated caller waits for it before pressing keys).
    listening: bool = False
    redirect_to: Place | None = None
    # True while a dialplan (or an originated application) runs the channel; a Dial's outbound leg has none
    # until a redirect gives it one.
    has_pbx: bool = False
    # True while the channel is in a bridge on its own account, with no application of its own waiting there:
    # a Dial's outbound leg, or a channel Bridge() pulled out of its dialplan (which waits for the bridge).
    imparted: bool = False
    # Where an imparted channel goes on when its bridge ends (Bridge()'s "go on"); None: it is hung up.
    after_bridge: Place | None = None
    # The class of the music on hold the channel hears, if any.
    music: str | None = None
    dtmf: deque[str] = field(default_factory=deque)
    # What a simulated caller on this channel will say, each (delay_s, wav_path), for AudioSocket().
    utterances: deque[tuple[float, str]] = field(default_factory=deque)
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)

    @property
    def tech(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def dead(self) -> bool:
        return self.gone or self.hangup_cause is not None

    @property
    def pulled(self) -> bool:
        """Whether the channel was taken from the application it runs: redirected, or pulled into a bridge."""
        return self.redirect_to is not None or self.imparted

    def wake(self) -> None:
        """Tell everything waiting on this channel that something changed (each re-checks its condition)."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def waiter(self) -> asyncio.Future[None]:
        """A future completed by the next :meth:`wake`; register it before awaiting, with no await between
        checking a condition and registering, so no wake-up is lost."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        return fut

    def drop_waiter(self, fut: asyncio.Future[None]) -> None:
        if fut in self._waiters:
            self._waiters.remove(fut)

    def snapshot(self, prefix: str = "") -> list[tuple[str, str]]:
        """The channel snapshot block that most channel events carry, keys optionally prefixed."""
        return [
            (prefix + "Channel", self.name),
            (prefix + "ChannelState", str(self.state)),
            (prefix + "ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (prefix + "CallerIDNum", escape_c(self.caller_num) or UNKNOWN),
            (prefix + "CallerIDName", escape_c(self.caller_name) or UNKNOWN),
            (prefix + "ConnectedLineNum", escape_c(self.connected_num) or UNKNOWN),
            (prefix + "ConnectedLineName", escape_c(self.connected_name) or UNKNOWN),
            (prefix + "Language", self.language),
            (prefix + "AccountCode", self.account_code),
            (prefix + "Context", self.context),
            (prefix + "Exten", self.exten),
            (prefix + "Priority", str(self.priority)),
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Linkedid", self.linkedid),
        ]

    def get_variable(self, name: str) -> str | None:
        """A channel variable or one of the few dialplan functions the simulator knows."""
        upper = name.upper()
        if upper in ("CALLERID(NUM)", "CALLERID(NUMBER)"):
            return self.caller_num
        if upper == "CALLERID(NAME)":
            return self.caller_name
        if upper == "CALLERID(ALL)":
            return f'"{self.caller_name}" <{self.caller_num}>'
        if upper == "CHANNEL" or upper == "CHANNEL(NAME)":
            return self.name
        if upper == "CHANNEL(STATE)":
            return STATE_DESC.get(self.state, "Unknown")
        if upper == "UNIQUEID":
            return self.uniqueid
        if upper == "CONTEXT":
            return self.context
        if upper == "EXTEN":
            return self.exten
        if upper == "CDR(USERFIELD)":
            return self.cdr_userfield
        return self.variables.get(name.lstrip("_"))


@dataclass(eq=False)
class Bridge:
    """A basic two-party bridge, as Dial, the Bridge application and the AMI Bridge action create."""

    uniqueid: str = field(default_factory=lambda: str(uuid.uuid4()))
    channels: list[Channel] = field(default_factory=list)

    def snapshot(self, prefix: str = "Bridge") -> list[tuple[str, str]]:
        return [
            (prefix + "Uniqueid", self.uniqueid),
            (prefix + "Type", "basic"),
            (prefix + "Technology", "simple_bridge"),
            (prefix + "Creator", "<unknown>"),
            (prefix + "Name", "<unknown>"),
            (prefix + "NumChannels", str(len(self.channels))),
            (prefix + "VideoSourceMode", "none"),
        ]


class ChannelNamer:
    """Allocates Uniqueids (``<epoch>.<seq>``) and channel names the way Asterisk numbers them."""

    def __init__(self, epoch: int) -> None:
        self._epoch = epoch
        self._seq = 0
        self._local = 0
        self._tech: dict[str, int] = {}

    def uniqueid(self) -> str:
        self._seq += 1
        return f"{self._epoch}.{self._seq}"

    def local_pair(self, exten_at_context: str) -> tuple[str, str]:
        """``Local/<exten>@<ctx>-<8 hex>;1`` and ``;2``."""
        base = f"Local/{exten_at_context}-{self._local:08x}"
        self._local += 1
        return base + ";1", base + ";2"

    def device(self, resource: str) -> str:
        """A non-Local channel name such as ``PJSIP/1001-0000000a`` (a counter per technology)."""
        tech = resource.split("/", 1)[0]
        n = self._tech.get(tech, 0)
        self._tech[tech] = n + 1
        return f"{resource.split('@', 1)[0]}-{n:08x}"

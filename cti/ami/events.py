"""Domain events of the PBX bridge: what Asterisk did, typed, with no raw AMI dictionaries.

They come from :func:`cti.ami.translate.translate` (live AMI events) and from the client's resync
(``resynced=True``: a difference found by comparing our channel set with ``CoreShowChannels``).
Caller names lose the backslash Asterisk puts before quotes (``O\\'Brien``) but keep its escapes of control
characters as literal text (``Bob\\r\\n...``); Asterisk's ``<unknown>`` placeholder becomes an empty string.
"""

from __future__ import annotations

import dataclasses

from bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PbxLinkEvent(DomainEvent):
    """Base of the events about the AMI link to the PBX at ``host``:``port``."""

    host: str
    port: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PbxConnected(PbxLinkEvent):
    """The AMI link is up and logged in (first time or after a reconnect)."""

    banner: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PbxDisconnected(PbxLinkEvent):
    """The AMI link went down; every action in flight failed with ``AmiDisconnected``."""

    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PbxResynced(DomainEvent):
    """Our channel set was rebuilt from the PBX; ``uniqueids`` are exactly the channels now up."""

    uniqueids: tuple[str, ...]
    appeared: int
    vanished: int
    changed: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent(DomainEvent):
    """Base of the events about one channel (``uniqueid`` identifies it, ``linkedid`` its call)."""

    channel: str
    uniqueid: str
    linkedid: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ChannelAppeared(ChannelEvent):
    """A channel exists (``Newchannel``, or found by resync with ``resynced=True``)."""

    state: int
    state_desc: str
    caller_id_num: str = ""
    caller_id_name: str = ""
    context: str = ""
    exten: str = ""
    application: str = ""
    bridge_id: str = ""
    variables: tuple[tuple[str, str], ...] = ()
    resynced: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStateChanged(ChannelEvent):
    """The channel's state moved (``Newstate``: 4 Ring, 5 Ringing, 6 Up, ...)."""

    state: int
    state_desc: str
    resynced: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHungUp(ChannelEvent):
    """The channel is gone. A channel that vanished while we were disconnected has cause 0."""

    cause: int
    cause_text: str
    resynced: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHoldChanged(ChannelEvent):
    """The channel was put on hold (``Hold``) or taken off it (``Unhold``)."""

    on_hold: bool


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DtmfReceived(ChannelEvent):
    """A digit finished (``DTMFEnd``); ``direction`` is ``Received`` or ``Sent``."""

    digit: str
    duration_ms: int
    direction: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BridgeEvent(ChannelEvent):
    """Base of a channel's moves in or out of bridge ``bridge_id`` (``bridge_channels`` after the move)."""

    bridge_id: str
    bridge_channels: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BridgeEntered(BridgeEvent):
    """The channel joined bridge ``bridge_id`` which now holds ``bridge_channels`` channels."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BridgeLeft(BridgeEvent):
    """The channel left bridge ``bridge_id``, which still holds ``bridge_channels`` channels."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DialEvent(DomainEvent):
    """Base of a dial from ``channel`` (None for an Originate) to ``dest_channel``."""

    channel: str | None
    uniqueid: str | None
    dest_channel: str
    dest_uniqueid: str
    linkedid: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DialStarted(DialEvent):
    """``channel`` started dialling ``dest_channel`` with ``dial_string``."""

    dial_string: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DialEnded(DialEvent):
    """The dial finished with ``dial_status`` (ANSWER, BUSY, NOANSWER, CONGESTION, CANCEL, ...)."""

    dial_status: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class OriginateResult(DomainEvent):
    """Outcome of an asynchronous Originate, matched to the action by ``action_id``.

    ``reason`` is Asterisk's code: 4 answered, 5 busy, 3 no answer, 8 congestion, 0 other failure.
    On failure ``channel`` is the dial string and ``uniqueid`` is None.
    """

    action_id: str | None
    success: bool
    reason: int
    channel: str
    uniqueid: str | None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VariableSet(DomainEvent):
    """A channel variable we care about (``CC_*``/``CTI_*``) was set; ``channel`` None = global."""

    channel: str | None
    uniqueid: str | None
    name: str
    value: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class UserEventReceived(DomainEvent):
    """A ``UserEvent`` (dialplan ``UserEvent()`` or the AMI action) with its own headers.

    ``headers`` holds what the sender put in, in wire order; the channel snapshot Asterisk adds
    is reduced to ``channel``/``uniqueid``. Anyone with dialplan data can forge these: never use
    one to authorise anything.
    """

    name: str
    channel: str | None
    uniqueid: str | None
    headers: tuple[tuple[str, str], ...]

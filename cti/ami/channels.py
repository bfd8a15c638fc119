"""The set of live PBX channels, kept from events and rebuilt by resync (pure: no I/O, no clock).

:class:`LiveChannels` follows :class:`ChannelAppeared` / :class:`ChannelStateChanged` /
:class:`ChannelHungUp`. After a reconnect the client opens a resync window, asks Asterisk for
``CoreShowChannels`` and hands the snapshot to :meth:`LiveChannels.finish_resync`, which returns
the differences as domain events. Live events that arrive while the list is in flight win over
the snapshot, because the list may have been built before or after them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bus.events import DomainEvent
from cti.ami.events import ChannelAppeared, ChannelHungUp, ChannelStateChanged
from cti.ami.protocol import AmiMessage

UNKNOWN = "<unknown>"
# Status's "Variable: NAME=(null)" means the variable is not set.
UNSET_VARIABLE = "(null)"
VANISHED_CAUSE_TEXT = "vanished while the PBX link was down"


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What we know of one live channel."""

    channel: str
    uniqueid: str
    linkedid: str
    state: int
    state_desc: str
    caller_id_num: str = ""
    caller_id_name: str = ""
    context: str = ""
    exten: str = ""
    application: str = ""
    bridge_id: str = ""
    variables: tuple[tuple[str, str], ...] = ()

    def appeared(self, at: float, *, resynced: bool) -> ChannelAppeared:
        """The event announcing this channel."""
        return ChannelAppeared(at=at, resynced=resynced, **_info_fields(self))

    @classmethod
    def from_event(cls, event: ChannelAppeared) -> ChannelInfo:
        """The channel an appearance event describes."""
        return cls(**_info_fields(event))


# ChannelAppeared carries every ChannelInfo field under the same name, so one list converts both ways.
_INFO_FIELDS = tuple(field.name for field in dataclasses.fields(ChannelInfo))


def _info_fields(source: ChannelInfo | ChannelAppeared) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _INFO_FIELDS}


def known(value: str | None) -> str:
    """``value`` with Asterisk's ``<unknown>`` placeholder (and absence) as an empty string."""
    return "" if value is None or value == UNKNOWN else value


# Asterisk C-escapes caller names in channel snapshots (O'Brien arrives as O\'Brien). Quotes, '?' and the
# backslash itself are given back; control-character escapes (\r, \n, ...) stay literal text, so a caller
# can never put a line break into a value we might send on.
_C_ESCAPE = re.compile(r"\\(.)")
_GIVEN_BACK = frozenset("'\"?\\")


def caller_name(value: str | None) -> str:
    """A ``CallerIDName``/``ConnectedLineName`` of a channel snapshot as the caller's text (see above)."""
    text = known(value)
    if "\\" not in text:
        return text
    return _C_ESCAPE.sub(lambda m: m.group(1) if m.group(1) in _GIVEN_BACK else m.group(0), text)


def to_int(value: str | None, default: int = 0) -> int:
    """An integer header, or ``default`` when it is missing or not a number."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def parse_variables(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``Variable: NAME=value`` headers as pairs; unset ones (``(null)``) are left out."""
    pairs: list[tuple[str, str]] = []
    for item in values:
        name, sep, value = item.partition("=")
        if sep and name and value != UNSET_VARIABLE:
            pairs.append((name, value))
    return tuple(pairs)


def channel_ids(msg: AmiMessage) -> tuple[str, str, str] | None:
    """(channel, uniqueid, linkedid) of a message about one channel; None when it names no channel.

    A channel that reports no ``Linkedid`` is the first of its call, so its uniqueid stands in.
    """
    channel = msg.get("Channel")
    uniqueid = msg.get("Uniqueid")
    if not channel or not uniqueid:
        return None
    return channel, uniqueid, msg.get("Linkedid") or uniqueid


def channel_from_snapshot(msg: AmiMessage) -> ChannelInfo | None:
    """A :class:`ChannelInfo` from a channel snapshot message (Newchannel, CoreShowChannel, Status).

    None when the message names no channel or uniqueid.
    """
    ids = channel_ids(msg)
    if ids is None:
        return None
    channel, uniqueid, linkedid = ids
    return ChannelInfo(
        channel=channel,
        uniqueid=uniqueid,
        linkedid=linkedid,
        state=to_int(msg.get("ChannelState")),
        state_desc=msg.get("ChannelStateDesc") or "",
        caller_id_num=known(msg.get("CallerIDNum")),
        caller_id_name=caller_name(msg.get("CallerIDName")),
        context=msg.get("Context") or "",
        exten=msg.get("Exten") or "",
        application=msg.get("Application") or "",
        # CoreShowChannel spells it BridgeId, Status BridgeID (get() is case-insensitive).
        bridge_id=msg.get("BridgeId") or "",
        variables=parse_variables(msg.get_all("Variable")),
    )


class LiveChannels:
    """Live channels by uniqueid, updated from domain events and reconciled by resync."""

    def __init__(self) -> None:
        self._channels: dict[str, ChannelInfo] = {}
        self._resyncing = False
        self._appeared_during_resync: dict[str, ChannelInfo] = {}
        self._hung_up_during_resync: set[str] = set()

    def __len__(self) -> int:
        return len(self._channels)

    def __contains__(self, uniqueid: object) -> bool:
        return uniqueid in self._channels

    def __iter__(self) -> Iterator[ChannelInfo]:
        return iter(tuple(self._channels.values()))

    def get(self, uniqueid: str) -> ChannelInfo | None:
        return self._channels.get(uniqueid)

    def apply(self, event: DomainEvent) -> None:
        """Follow one live domain event; other event types are ignored."""
        if isinstance(event, ChannelAppeared):
            info = ChannelInfo.from_event(event)
            self._channels[event.uniqueid] = info
            if self._resyncing:
                self._appeared_during_resync[event.uniqueid] = info
                self._hung_up_during_resync.discard(event.uniqueid)
        elif isinstance(event, ChannelStateChanged):
            current = self._channels.get(event.uniqueid)
            if current is not None:
                updated = dataclasses.replace(current, state=event.state, state_desc=event.state_desc)
                self._channels[event.uniqueid] = updated
                if self._resyncing:
                    self._appeared_during_resync[event.uniqueid] = updated
        elif isinstance(event, ChannelHungUp):
            self._channels.pop(event.uniqueid, None)
            if self._resyncing:
                self._hung_up_during_resync.add(event.uniqueid)
                self._appeared_during_resync.pop(event.uniqueid, None)

    def begin_resync(self) -> None:
        """Start remembering live changes until :meth:`finish_resync` (or :meth:`abort_resync`)."""
        self._resyncing = True
        self._appeared_during_resync.clear()
        self._hung_up_during_resync.clear()

    def abort_resync(self) -> None:
        self._resyncing = False
        self._appeared_during_resync.clear()
        self._hung_up_during_resync.clear()

    def finish_resync(self, snapshot: Iterable[ChannelInfo], *, at: float) -> list[DomainEvent]:
        """Make the set equal to ``snapshot`` (plus live changes seen meanwhile); return the differences.

        Channels we had that the PBX no longer has give :class:`ChannelHungUp` (cause 0), new ones
        :class:`ChannelAppeared`, and a channel whose state moved :class:`ChannelStateChanged`, all
        with ``resynced=True``.
        """
        target: dict[str, ChannelInfo] = {}
        for info in snapshot:
            if info.uniqueid not in self._hung_up_during_resync:
                target[info.uniqueid] = info
        target.update(self._appeared_during_resync)
        events: list[DomainEvent] = []
        for uniqueid, old in self._channels.items():
            if uniqueid not in target:
                events.append(
                    ChannelHungUp(
                        at=at,
                        channel=old.channel,
                        uniqueid=uniqueid,
                        linkedid=old.linkedid,
                        cause=0,
                        cause_text=VANISHED_CAUSE_TEXT,
                        resynced=True,
                    )
                )
        for uniqueid, new in target.items():
            old_info = self._channels.get(uniqueid)
            if old_info is None:
                events.append(new.appeared(at, resynced=True))
            elif old_info.state != new.state:
                events.append(
                    ChannelStateChanged(
                        at=at,
                        channel=new.channel,
                        uniqueid=uniqueid,
                        linkedid=new.linkedid,
                        state=new.state,
                        state_desc=new.state_desc,
                        resynced=True,
                    )
                )
        self._channels = target
        self.abort_resync()
        return events

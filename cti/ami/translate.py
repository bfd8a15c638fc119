"""AMI event -> domain event, table-driven and pure (the clock is passed in as ``at``).

Only events something in the product acts on are translated; the rest (Newexten, Cdr,
DeviceStateChange, list items such as CoreShowChannel, ...) give None. A translator never raises
on odd input: a missing number reads as 0, a message without the identifying headers gives None.
Headers are read first-occurrence-wins, so an injected second ``Event:``/``Channel:`` (see trace
scenario 10) cannot change what an event means.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bus.events import DomainEvent
from cti.ami.channels import channel_from_snapshot, channel_ids, known, to_int
from cti.ami.events import (
    BridgeEntered,
    BridgeLeft,
    ChannelEvent,
    ChannelHoldChanged,
    ChannelHungUp,
    ChannelStateChanged,
    DialEnded,
    DialEvent,
    DialStarted,
    DtmfReceived,
    OriginateResult,
    UserEventReceived,
    VariableSet,
)
from cti.ami.protocol import AmiMessage, MessageKind

Translator = Callable[[AmiMessage, float], DomainEvent | None]

# Variables worth an event: ours. Everything else (MEMBER*, QUEUE*, AGISTATUS, ...) is noise here.
VARIABLE_PREFIXES = ("CC_", "CTI_")
# What Asterisk writes in Channel/Uniqueid of a VarSet on a global variable.
GLOBAL_MARKER = "none"
# Headers of the channel snapshot Asterisk puts into channel events (the first of each).
SNAPSHOT_KEYS = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)


# Reads one field of a domain event from an AMI event.
FieldReader = Callable[[AmiMessage], Any]


def _text(header: str) -> FieldReader:
    """The header's first value, or an empty string."""
    return lambda msg: msg.get(header) or ""


def _number(header: str) -> FieldReader:
    """The header's first value as an integer (0 when missing or not a number)."""
    return lambda msg: to_int(msg.get(header))


def _fixed(value: object) -> FieldReader:
    return lambda msg: value


def _newchannel(msg: AmiMessage, at: float) -> DomainEvent | None:
    info = channel_from_snapshot(msg)
    return None if info is None else info.appeared(at, resynced=False)


def _channel_event(
    event_type: Callable[..., ChannelEvent], *, required: str = "", **fields: FieldReader
) -> Translator:
    """Translator to ``event_type`` with the channel's identity plus ``fields``.

    None when the event names no channel or uniqueid, or lacks the ``required`` header.
    """

    def translate_channel_event(msg: AmiMessage, at: float) -> DomainEvent | None:
        ids = channel_ids(msg)
        if ids is None or (required and not msg.get(required)):
            return None
        channel, uniqueid, linkedid = ids
        return event_type(
            at=at,
            channel=channel,
            uniqueid=uniqueid,
            linkedid=linkedid,
            **{name: read(msg) for name, read in fields.items()},
        )

    return translate_channel_event


def _dial_event(event_type: Callable[..., DialEvent], **fields: FieldReader) -> Translator:
    """Translator of DialBegin/DialEnd: None unless the dialled party is named."""

    def translate_dial_event(msg: AmiMessage, at: float) -> DomainEvent | None:
        dest_channel = msg.get("DestChannel")
        dest_uniqueid = msg.get("DestUniqueid")
        if not dest_channel or not dest_uniqueid:
            return None
        # An Originate dials with no calling channel: the event then has no Channel/Uniqueid.
        return event_type(
            at=at,
            channel=msg.get("Channel") or None,
            uniqueid=msg.get("Uniqueid") or None,
            dest_channel=dest_channel,
            dest_uniqueid=dest_uniqueid,
            linkedid=msg.get("DestLinkedid") or msg.get("Linkedid") or dest_uniqueid,
            **{name: read(msg) for name, read in fields.items()},
        )

    return translate_dial_event


def _originate_response(msg: AmiMessage, at: float) -> DomainEvent | None:
    uniqueid = known(msg.get("Uniqueid"))
    return OriginateResult(
        at=at,
        action_id=msg.action_id,
        success=(msg.get("Response") or "").lower() == "success",
        reason=to_int(msg.get("Reason")),
        channel=msg.get("Channel") or "",
        uniqueid=uniqueid or None,
    )


def _var_set(msg: AmiMessage, at: float) -> DomainEvent | None:
    name = msg.get("Variable") or ""
    if not name.startswith(VARIABLE_PREFIXES):
        return None
    channel = msg.get("Channel")
    uniqueid = msg.get("Uniqueid")
    return VariableSet(
        at=at,
        channel=None if channel in (None, GLOBAL_MARKER) else channel,
        uniqueid=None if uniqueid in (None, GLOBAL_MARKER) else uniqueid,
        name=name,
        value=msg.get("Value") or "",
    )


def _user_event(msg: AmiMessage, at: float) -> DomainEvent | None:
    skip = {"event", "privilege", "userevent"}
    if msg.get("Uniqueid") is not None:
        skip.update(key.lower() for key in SNAPSHOT_KEYS)
    headers: list[tuple[str, str]] = []
    for key, value in msg.headers:
        lower = key.lower()
        if lower in skip:
            skip.discard(lower)  # only the first occurrence is Asterisk's own
            continue
        headers.append((key, value))
    return UserEventReceived(
        at=at,
        name=msg.get("UserEvent") or "",
        channel=msg.get("Channel"),
        uniqueid=msg.get("Uniqueid"),
        headers=tuple(headers),
    )


_BRIDGE_FIELDS = {"bridge_id": _text("BridgeUniqueid"), "bridge_channels": _number("BridgeNumChannels")}

TRANSLATORS: dict[str, Translator] = {
    "Newchannel": _newchannel,
    "Newstate": _channel_event(
        ChannelStateChanged, state=_number("ChannelState"), state_desc=_text("ChannelStateDesc")
    ),
    "Hangup": _channel_event(ChannelHungUp, cause=_number("Cause"), cause_text=_text("Cause-txt")),
    "Hold": _channel_event(ChannelHoldChanged, on_hold=_fixed(True)),
    "Unhold": _channel_event(ChannelHoldChanged, on_hold=_fixed(False)),
    "DTMFEnd": _channel_event(
        DtmfReceived,
        required="Digit",
        digit=_text("Digit"),
        duration_ms=_number("DurationMs"),
        direction=_text("Direction"),
    ),
    "BridgeEnter": _channel_event(BridgeEntered, required="BridgeUniqueid", **_BRIDGE_FIELDS),
    "BridgeLeave": _channel_event(BridgeLeft, required="BridgeUniqueid", **_BRIDGE_FIELDS),
    "DialBegin": _dial_event(DialStarted, dial_string=_text("DialString")),
    "DialEnd": _dial_event(DialEnded, dial_status=_text("DialStatus")),
    "OriginateResponse": _originate_response,
    "VarSet": _var_set,
    "UserEvent": _user_event,
}


def translate(msg: AmiMessage, *, at: float | None = None) -> DomainEvent | None:
    """The domain event for one AMI event, or None if it is not one we act on.

    ``at`` stamps the event (the caller's clock); without it the wall clock is read.
    """
    if msg.kind is not MessageKind.EVENT:
        return None
    translator = TRANSLATORS.get(msg.name)
    if translator is None:
        return None
    return translator(msg, time.time() if at is None else at)

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

from callcenter.events import DomainEvent
from cti.ami.channels import channel_from_snapshot, known, to_int
from cti.ami.events import (
    BridgeEntered,
    BridgeLeft,
    ChannelHoldChanged,
    ChannelHungUp,
    ChannelStateChanged,
    DialEnded,
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


def _ids(msg: AmiMessage) -> tuple[str, str, str] | None:
    """(channel, uniqueid, linkedid) of a channel event, or None when it names no channel."""
    channel = msg.get("Channel")
    uniqueid = msg.get("Uniqueid")
    if not channel or not uniqueid:
        return None
    return channel, uniqueid, msg.get("Linkedid") or uniqueid


def _newchannel(msg: AmiMessage, at: float) -> DomainEvent | None:
    info = channel_from_snapshot(msg)
    return None if info is None else info.appeared(at, resynced=False)


def _newstate(msg: AmiMessage, at: float) -> DomainEvent | None:
    ids = _ids(msg)
    if ids is None:
        return None
    channel, uniqueid, linkedid = ids
    return ChannelStateChanged(
        at=at,
        channel=channel,
        uniqueid=uniqueid,
        linkedid=linkedid,
        state=to_int(msg.get("ChannelState")),
        state_desc=msg.get("ChannelStateDesc") or "",
    )


def _hangup(msg: AmiMessage, at: float) -> DomainEvent | None:
    ids = _ids(msg)
    if ids is None:
        return None
    channel, uniqueid, linkedid = ids
    return ChannelHungUp(
        at=at,
        channel=channel,
        uniqueid=uniqueid,
        linkedid=linkedid,
        cause=to_int(msg.get("Cause")),
        cause_text=msg.get("Cause-txt") or "",
    )


def _hold(on_hold: bool) -> Translator:
    def translate_hold(msg: AmiMessage, at: float) -> DomainEvent | None:
        ids = _ids(msg)
        if ids is None:
            return None
        channel, uniqueid, linkedid = ids
        return ChannelHoldChanged(
            at=at, channel=channel, uniqueid=uniqueid, linkedid=linkedid, on_hold=on_hold
        )

    return translate_hold


def _dtmf_end(msg: AmiMessage, at: float) -> DomainEvent | None:
    ids = _ids(msg)
    digit = msg.get("Digit")
    if ids is None or not digit:
        return None
    channel, uniqueid, linkedid = ids
    return DtmfReceived(
        at=at,
        channel=channel,
        uniqueid=uniqueid,
        linkedid=linkedid,
        digit=digit,
        duration_ms=to_int(msg.get("DurationMs")),
        direction=msg.get("Direction") or "",
    )


def _bridge(event_type: type[BridgeEntered] | type[BridgeLeft]) -> Translator:
    def translate_bridge(msg: AmiMessage, at: float) -> DomainEvent | None:
        ids = _ids(msg)
        bridge_id = msg.get("BridgeUniqueid")
        if ids is None or not bridge_id:
            return None
        channel, uniqueid, linkedid = ids
        return event_type(
            at=at,
            channel=channel,
            uniqueid=uniqueid,
            linkedid=linkedid,
            bridge_id=bridge_id,
            bridge_channels=to_int(msg.get("BridgeNumChannels")),
        )

    return translate_bridge


def _dial_parties(msg: AmiMessage) -> tuple[str | None, str | None, str, str, str] | None:
    dest_channel = msg.get("DestChannel")
    dest_uniqueid = msg.get("DestUniqueid")
    if not dest_channel or not dest_uniqueid:
        return None
    # An Originate dials with no calling channel: the event then has no Channel/Uniqueid.
    return (
        msg.get("Channel") or None,
        msg.get("Uniqueid") or None,
        dest_channel,
        dest_uniqueid,
        msg.get("DestLinkedid") or msg.get("Linkedid") or dest_uniqueid,
    )


def _dial_begin(msg: AmiMessage, at: float) -> DomainEvent | None:
    parties = _dial_parties(msg)
    if parties is None:
        return None
    channel, uniqueid, dest_channel, dest_uniqueid, linkedid = parties
    return DialStarted(
        at=at,
        channel=channel,
        uniqueid=uniqueid,
        dest_channel=dest_channel,
        dest_uniqueid=dest_uniqueid,
        linkedid=linkedid,
        dial_string=msg.get("DialString") or "",
    )


def _dial_end(msg: AmiMessage, at: float) -> DomainEvent | None:
    parties = _dial_parties(msg)
    if parties is None:
        return None
    channel, uniqueid, dest_channel, dest_uniqueid, linkedid = parties
    return DialEnded(
        at=at,
        channel=channel,
        uniqueid=uniqueid,
        dest_channel=dest_channel,
        dest_uniqueid=dest_uniqueid,
        linkedid=linkedid,
        dial_status=msg.get("DialStatus") or "",
    )


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


TRANSLATORS: dict[str, Translator] = {
    "Newchannel": _newchannel,
    "Newstate": _newstate,
    "Hangup": _hangup,
    "Hold": _hold(True),
    "Unhold": _hold(False),
    "DTMFEnd": _dtmf_end,
    "BridgeEnter": _bridge(BridgeEntered),
    "BridgeLeave": _bridge(BridgeLeft),
    "DialBegin": _dial_begin,
    "DialEnd": _dial_end,
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

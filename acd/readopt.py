"""Re-adopting calls after a restart: what a waiting call writes on its channel, and how a fresh core
is rebuilt from those channels plus the event log (pure: no I/O, the caller passes ``now``).

While a call waits, the service keeps its ACD record in channel variables (:func:`channel_variables`),
so Asterisk, which outlives our process, holds the truth about who is still on the line. At start-up
the service reads the variables of every channel (AMI ``Status``) and :func:`plan_restore` merges them
with the event log: waiting and talking calls keep their place and agents, agents get their last state
back, call-backs (which have no channel while they wait) come back from the log, and calls the log
shows open whose channel is gone are closed with the event they missed. What the log leaves open is
folded by :class:`acd.open_calls.OpenCalls`, which a node keeps a snapshot of, so start-up reads only the
log's tail.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from acd.agents import AgentState
from acd.calls import Call, CallStatus
from acd.config import AcdConfig
from acd.events import AgentStateChanged, CallAbandoned, CallConnected, CallEnded, CallQueued
from acd.open_calls import OpenCalls
from acd.snapshot import SNAPSHOT_VERSION
from asterisk_conf.dialstring import callback_number
from bus.events import DomainEvent
from ivr.caller import CallerData

CALL_ID_VARIABLE = "CC_CALL_ID"
QUEUE_VARIABLE = "CC_QUEUE"
ENTER_TIME_VARIABLE = "CC_ENTER_TIME"
PRIORITY_VARIABLE = "CC_PRIORITY"
CALL_DATA_VARIABLE = "CC_CALL_DATA"  # JSON: skills, customer, intent, IVR data, call-back number
AGENT_LINE_VARIABLE = "CC_AGENT_LINE"  # the agent's channel the caller talks to, once answered
ADOPT_VARIABLES = (CALL_ID_VARIABLE, QUEUE_VARIABLE, ENTER_TIME_VARIABLE, PRIORITY_VARIABLE, CALL_DATA_VARIABLE,
                   AGENT_LINE_VARIABLE)


class BadCallVariables(ValueError):
    """A channel carries our call id but its other variables are missing or unreadable."""


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelCall:
    """A call found on a live channel: its ACD record and the number to offer call-backs to."""

    channel: str
    call_id: str
    queue: str
    enter_time: float
    priority: int
    data: Mapping[str, Any]
    agent_line: str | None = None  # the agent's channel of a talk, as last written on the caller's channel

    @property
    def callback_to(self) -> str | None:
        """The call-back number written on the channel, if it is one we may dial."""
        value = self.data.get("callback_to")
        return callback_number(value) if isinstance(value, str) else None


@dataclasses.dataclass(slots=True)
class RestorePlan:
    """What :meth:`acd.core.Acd.restore` loads, which channels carry which calls, and the events that
    close calls whose channel vanished while nobody watched."""

    snapshot: dict[str, Any]
    channels: list[ChannelCall]
    connected: set[str]  # call ids of adopted channels that are talking to an agent
    closed: list[DomainEvent]


def channel_variables(call: Call, callback_to: str | None) -> list[tuple[str, str]]:
    """The variables to set on a waiting call's channel so a restarted service can re-adopt it."""
    # Flat, as older nodes wrote it and read it: a node of either age re-adopts the other's calls.
    data = {"skills": [list(s) for s in call.skills], **call.caller.to_record(), "callback_to": callback_to}
    return [
        (CALL_ID_VARIABLE, call.call_id),
        (QUEUE_VARIABLE, call.queue),
        (ENTER_TIME_VARIABLE, repr(call.enter_time)),
        (PRIORITY_VARIABLE, str(call.priority)),
        (CALL_DATA_VARIABLE, json.dumps(data, separators=(",", ":"))),
    ]


def parse_channel(channel: str, variables: Mapping[str, str]) -> ChannelCall | None:
    """The call a channel carries; None when it carries none of ours (no ``CC_CALL_ID``)."""
    call_id = variables.get(CALL_ID_VARIABLE)
    if not call_id:
        return None
    try:
        queue = variables[QUEUE_VARIABLE]
        enter_time = float(variables[ENTER_TIME_VARIABLE])
        priority = int(variables[PRIORITY_VARIABLE])
        data = json.loads(variables[CALL_DATA_VARIABLE])
    except (KeyError, ValueError) as exc:
        raise BadCallVariables(f"channel {channel} (call {call_id}): {exc!r}") from exc
    if not isinstance(data, dict) or not queue:
        raise BadCallVariables(f"channel {channel} (call {call_id}): malformed call data")
    return ChannelCall(channel, call_id, queue, enter_time, priority, data,
                       agent_line=variables.get(AGENT_LINE_VARIABLE) or None)


def plan_restore(
    channels: Sequence[ChannelCall], history: OpenCalls | Iterable[DomainEvent], config: AcdConfig, now: float
) -> RestorePlan:
    """Merge live channels (the truth about who is on the line) with the event log: its events in log order,
    or what they leave open (:class:`acd.open_calls.OpenCalls`, which this leaves unchanged)."""
    h = history if isinstance(history, OpenCalls) else OpenCalls().fold(history)
    queues = {q.name: q for q in config.queues}
    records: list[dict[str, Any]] = []
    connected: set[str] = set()
    adopted: list[ChannelCall] = []
    for tagged in channels:
        # The channel's variables name the call it was queued with; a hand-over moved it to another.
        found = tagged
        if (current := h.current_call(tagged.call_id)) != tagged.call_id:
            queued = h.queued.get(current)
            found = dataclasses.replace(tagged, call_id=current, queue=queued.queue if queued else tagged.queue)
        if found.queue not in queues or any(r["call_id"] == found.call_id for r in records):
            continue
        talk = h.connected.get(found.call_id)
        records.append(_channel_record(found, talk))
        adopted.append(found)
        if talk is not None:
            connected.add(found.call_id)
    on_channels = {r["call_id"] for r in records}
    closed: list[DomainEvent] = []
    for call_id, queued in h.queued.items():
        if call_id in on_channels or queued.queue not in queues:
            continue
        number = h.callbacks.get(call_id)
        talk = h.connected.get(call_id)
        if talk is not None:
            closed.append(CallEnded(at=now, call_id=call_id, queue=queued.queue, agent_id=talk.agent_id,
                                    talk_seconds=max(0.0, now - talk.at)))
        elif number is not None:
            records.append(_callback_record(queued, number))  # waits without a channel: keeps its place
        else:
            closed.append(CallAbandoned(at=now, call_id=call_id, queue=queued.queue,
                                        wait_seconds=max(0.0, now - queued.enter_time)))
    records.sort(key=lambda r: (r["enter_time"], r["call_id"]))
    for seq, record in enumerate(records, start=1):
        record["seq"] = seq
    adopted.sort(key=lambda c: (c.enter_time, c.call_id))
    agents = [_agent_record(e, config) for agent_id, e in h.agents.items()
              if any(a.id == agent_id for a in config.agents)]
    snapshot = {"version": SNAPSHOT_VERSION, "seq": len(records), "calls": records, "agents": agents}
    return RestorePlan(snapshot, adopted, connected, closed)


def _channel_record(found: ChannelCall, talk: CallConnected | None) -> dict[str, Any]:
    d = found.data
    return {
        "call_id": found.call_id, "queue": found.queue, "priority": found.priority,
        "skills": d.get("skills", []), "enter_time": found.enter_time,
        **CallerData.from_record(d).to_record(), "callback_number": None,
        "status": CallStatus.CONNECTED.value if talk else CallStatus.WAITING.value,
        "agent_id": talk.agent_id if talk else None, "connected_at": talk.at if talk else None,
    }


def _callback_record(queued: CallQueued, number: str) -> dict[str, Any]:
    return {
        "call_id": queued.call_id, "queue": queued.queue, "priority": queued.priority,
        "skills": [list(s) for s in queued.required_skills], "enter_time": queued.enter_time,
        **queued.caller.to_record(), "callback_number": number, "status": CallStatus.WAITING.value,
        "agent_id": None, "connected_at": None,
    }


def _agent_record(last: AgentStateChanged, config: AcdConfig) -> dict[str, Any]:
    wrap_up_until = None
    if last.state == AgentState.WRAP_UP:
        agent = next(a for a in config.agents if a.id == last.agent_id)
        wrap = max((q.wrap_up_seconds for q in config.queues if q.name in agent.queues), default=0.0)
        wrap_up_until = last.at + wrap
    return {"agent_id": last.agent_id, "state": last.state, "reason": last.reason, "since": last.at,
            "call_id": last.call_id, "pending_pause": None, "wrap_up_until": wrap_up_until}

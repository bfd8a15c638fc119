"""A call the ACD holds, from queueing to its end, and its record in a core's snapshot."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from acd.config import MAX_LEVEL, MIN_LEVEL
from acd.events import CallOffered, CallQueued
from ivr.caller import CallerData

if TYPE_CHECKING:
    from acd.routing import Group

#: Required skills with their minimum levels, sorted by skill.
Requirement = tuple[tuple[str, int], ...]


class CallStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


@dataclasses.dataclass(slots=True, eq=False)
class Call:
    """A call the ACD holds, from queueing to its end. ``skills`` are the requirements before escalation."""

    call_id: str
    queue: str
    priority: int
    skills: Requirement
    enter_time: float
    seq: int
    caller: CallerData = dataclasses.field(default_factory=CallerData)  # its IVR data sorted by name
    callback_number: str | None = None
    pinned: str | None = None  # offered to this agent only (a transfer or consultation to a named agent)
    consult_of: str | None = None  # a consultation about this (connected) call; its caller is that agent
    held_since: float | None = None  # the caller is on hold since then
    held_seconds: float = 0.0  # holds of this talk that are over
    status: CallStatus = CallStatus.WAITING
    agent_id: str | None = None
    connected_at: float | None = None
    escalations: int = 0  # how many of the queue's escalation steps apply
    requirement: Requirement = ()
    queues: tuple[str, ...] = ()  # home queue, then overflow queues
    token: int = 0  # bumped whenever the call leaves its groups; heap entries with an old token are stale
    groups: list[Group] = dataclasses.field(default_factory=list)

    def queued(self, now: float) -> CallQueued:
        """The event of this call (re)joining its queue at ``now``."""
        return CallQueued(at=now, call_id=self.call_id, queue=self.queue, priority=self.priority,
                          enter_time=self.enter_time, caller=self.caller, required_skills=self.skills,
                          callback=self.callback_number is not None, consult_of=self.consult_of)

    def offered(self, agent_id: str, now: float) -> CallOffered:
        """The event of this call being offered to ``agent_id`` at ``now``."""
        return CallOffered(at=now, call_id=self.call_id, queue=self.queue, agent_id=agent_id, caller=self.caller,
                           wait_seconds=now - self.enter_time, consult_of=self.consult_of)

    def to_record(self) -> dict[str, Any]:
        """The call as a JSON-able dict, for :meth:`acd.core.Acd.snapshot`."""
        return {
            "call_id": self.call_id, "queue": self.queue, "priority": self.priority,
            "skills": [list(s) for s in self.skills], "enter_time": self.enter_time, "seq": self.seq,
            **self.caller.to_record(), "callback_number": self.callback_number,
            "status": self.status.value, "agent_id": self.agent_id, "connected_at": self.connected_at,
            "pinned": self.pinned, "consult_of": self.consult_of, "held_since": self.held_since,
            "held_seconds": self.held_seconds,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Call:
        """A call from its :meth:`to_record`: talking with its agent, else waiting (an offer in flight died
        with the process that made it, and a pin with its offer)."""
        call = cls(
            call_id=record["call_id"], queue=record["queue"], priority=int(record["priority"]),
            skills=tuple((str(s), int(v)) for s, v in record["skills"]),
            enter_time=float(record["enter_time"]), seq=int(record["seq"]),
            caller=CallerData.from_record(record), callback_number=record["callback_number"],
            consult_of=record.get("consult_of"),
            held_since=record.get("held_since"), held_seconds=float(record.get("held_seconds", 0.0)),
        )
        if record["status"] == CallStatus.CONNECTED:
            call.status = CallStatus.CONNECTED
            call.agent_id = record["agent_id"]
            call.connected_at = record["connected_at"]
        return call


def requirement_of(skills: Mapping[str, int]) -> Requirement:
    """A call's own skill requirement (name -> minimum level), checked and sorted."""
    for skill, level in skills.items():
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"minimum level of {skill!r} must be {MIN_LEVEL}-{MAX_LEVEL}, got {level}")
    return tuple(sorted(skills.items()))

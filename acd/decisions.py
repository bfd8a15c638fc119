"""What the ACD core asks its service to do, and the effects one core call returns."""

from __future__ import annotations

import dataclasses

from bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, slots=True)
class Offer:
    """Ring ``interface`` (the agent's phone) for the waiting call; the agent is reserved."""

    call_id: str
    queue: str
    agent_id: str
    interface: str
    wait_seconds: float


@dataclasses.dataclass(frozen=True, slots=True)
class OriginateCallback:
    """A call-back reached the head: the agent is reserved; originate to ``number``, then connect the agent."""

    call_id: str
    queue: str
    agent_id: str
    interface: str
    number: str


@dataclasses.dataclass(frozen=True, slots=True)
class Refused:
    """The queue did not take the call (``reason``: closed, queue_full)."""

    call_id: str
    queue: str
    reason: str


Decision = Offer | OriginateCallback | Refused


@dataclasses.dataclass(slots=True)
class Effects:
    """The result of one core call: decisions to carry out, then domain events to publish, in order."""

    decisions: list[Decision] = dataclasses.field(default_factory=list)
    events: list[DomainEvent] = dataclasses.field(default_factory=list)

    def extend(self, other: Effects) -> None:
        self.decisions.extend(other.decisions)
        self.events.extend(other.events)

"""Domain events of the IVR."""

from __future__ import annotations

import dataclasses

from bus.events import DomainEvent
from ivr.caller import CallerData
from ivr.outcome import IvrOutcome


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IvrFinished(DomainEvent):
    """A call left the IVR. ``outcome`` is queue, callback, voicemail, hangup or abandoned_in_ivr;
    for abandoned_in_ivr this is the only record of the call, carrying what was collected."""

    call_id: str
    outcome: str
    caller: CallerData
    dnis: str = ""
    queue: str | None = None
    priority: int = 0
    last_node: str = ""
    entered_at: float = 0.0

    @classmethod
    def from_outcome(cls, outcome: IvrOutcome) -> IvrFinished:
        """The event for an outcome, stamped with the time the call left the IVR."""
        return cls(
            at=outcome.ended_at,
            call_id=outcome.call_id,
            outcome=outcome.kind.value,
            caller=outcome.caller,
            dnis=outcome.dnis,
            queue=outcome.queue,
            priority=outcome.priority,
            last_node=outcome.last_node,
            entered_at=outcome.started_at,
        )

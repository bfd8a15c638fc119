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


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IvrInputRecognised(DomainEvent):
    """A caller answered an input node by voice: what the recogniser heard (``text``), what it means there
    (``value``: digits or a menu key, empty when nothing usable), the mean word ``confidence`` (0..1), the
    length of the audio heard and the decoder's own time. ``accepted`` is False when the answer was not
    used (nothing usable, or below the node's confidence threshold)."""

    call_id: str
    node: str
    language: str
    text: str
    value: str
    confidence: float
    audio_seconds: float
    decode_seconds: float = 0.0
    accepted: bool = True


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IvrNodeVisited(DomainEvent):
    """A step of a caller's walk through the flow: ``node`` was entered (``result`` ``entered``) or gave its
    result: for input nodes ``recognised`` (``value``: the menu key; a collected code is not repeated here),
    ``invalid`` or ``timeout``; for a validation ``valid``, ``not_valid`` or ``unavailable`` (the CRM could not
    check the code); ``hung_up`` where the caller left."""

    call_id: str
    node: str
    result: str
    value: str = ""

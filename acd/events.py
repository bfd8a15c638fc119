"""Domain events of the ACD: what happened to calls and agents, as the rest of the product sees it."""

from __future__ import annotations

import dataclasses
import typing

from bus.events import DomainEvent
from ivr.caller import CallerData

_T = typing.TypeVar("_T")


# A plain alias of dataclasses.dataclass(...) hides the generated __init__ from mypy; this does not.
@typing.dataclass_transform(frozen_default=True, kw_only_default=True)
def _event(cls: type[_T]) -> type[_T]:
    return dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)


@_event
class CallQueued(DomainEvent):
    """A call entered a queue (or re-entered it, keeping its original ``enter_time``)."""

    call_id: str
    queue: str
    priority: int
    enter_time: float
    caller: CallerData = dataclasses.field(default_factory=CallerData)
    required_skills: tuple[tuple[str, int], ...] = ()
    callback: bool = False
    consult_of: str | None = None  # a consultation: the agent's call it is about


@_event
class CallOffered(DomainEvent):
    """The ACD reserved ``agent_id`` for the call and its phone is being rung (screen pop time)."""

    call_id: str
    queue: str
    agent_id: str
    caller: CallerData = dataclasses.field(default_factory=CallerData)
    wait_seconds: float = 0.0
    consult_of: str | None = None  # a colleague consults ``agent_id`` about this caller's call


@_event
class CallOfferFailed(DomainEvent):
    """The offered agent did not take the call (``reason``: no_answer, busy, failed)."""

    call_id: str
    queue: str
    agent_id: str
    reason: str


@_event
class CallConnected(DomainEvent):
    """Caller and agent are talking."""

    call_id: str
    queue: str
    agent_id: str
    wait_seconds: float


@_event
class CallAbandoned(DomainEvent):
    """The caller hung up before reaching an agent."""

    call_id: str
    queue: str
    wait_seconds: float
    position: int | None = None


@_event
class CallbackRequested(DomainEvent):
    """The caller asked to be called back; the request keeps the call's place in the queue."""

    call_id: str
    queue: str
    number: str
    enter_time: float


@_event
class CallEnded(DomainEvent):
    """A call that reached an agent is over (talk finished); wrap-up may follow. ``talk_seconds`` runs from
    the answer to the end; ``held_seconds`` is the part of it the caller spent on hold."""

    call_id: str
    queue: str
    agent_id: str | None
    talk_seconds: float
    outcome: str = "answered"
    held_seconds: float = 0.0


@_event
class CallDisposed(DomainEvent):
    """The agent saved the wrap-up: disposition code and notes for the call."""

    call_id: str
    agent_id: str
    disposition: str
    notes: str = ""


@_event
class AgentStateChanged(DomainEvent):
    """An agent moved from ``previous`` to ``state`` (``reason`` for not_ready)."""

    agent_id: str
    state: str
    previous: str
    reason: str | None = None
    call_id: str | None = None
    # When a wrap-up ends by itself unless the agent ends or extends it (wrap_up only).
    until: float | None = None


@_event
class CallHeld(DomainEvent):
    """The agent put the caller on hold: the caller hears music, the agent's line is quiet."""

    call_id: str
    queue: str
    agent_id: str


@_event
class CallResumed(DomainEvent):
    """The caller on hold is back with the agent; ``held_seconds`` is how long this hold lasted."""

    call_id: str
    queue: str
    agent_id: str
    held_seconds: float


@_event
class ConsultStarted(DomainEvent):
    """The agent holds the caller and calls a colleague about the call: ``target_agent`` in person or
    whoever ``target_queue`` offers it to. The colleague's side is the call ``consult_id``."""

    call_id: str
    agent_id: str
    consult_id: str
    target_agent: str | None = None
    target_queue: str | None = None


@_event
class ConsultEnded(DomainEvent):
    """A consultation is over. ``outcome``: ``completed`` (the caller now talks to the colleague, whose
    call ``consult_id`` it has become), ``cancelled`` (the agent is back with the caller) or ``failed``
    (the colleague did not answer or left; the agent is back with the caller)."""

    call_id: str
    agent_id: str
    consult_id: str
    outcome: str

"""Domain events of the dialer: every campaign attempt's timeline, as the recorder and the desktops see it.

An attempt publishes :class:`CampaignDialPlaced` when it is originated, :class:`CampaignDialAnswered` when the
callee picked up and AMD told a person from a machine, and one :class:`CampaignDialEnded` with what it came
to (an outcome of :mod:`outbound.dial_outcomes`, or ``connected``: the person was handed to an agent, whose
disposition then decides the lead). The attempt id is also the ACD call id of a connected person, so the
ACD's own events (``CallQueued`` ... ``CallDisposed``) continue the same timeline.

When a dialer starts, attempts an earlier run dialled may still be ringing; once none can be (the ring time and
a minute later) it publishes :class:`EarlierAttemptsLost`: those no report ended are over, how is not known.

A call an agent places by hand (click-to-dial) publishes :class:`ManualCallPlaced`, :class:`ManualCallAnswered`
when the number picks up, and, once it is over, :class:`ManualCallEnded` (see :mod:`outbound.manual_calls`);
the agent's wrap-up of an answered one publishes :class:`ManualCallDisposed`.
"""

from __future__ import annotations

import dataclasses
import typing

from bus.events import DomainEvent

_T = typing.TypeVar("_T")
#: The outcome of an attempt whose person was passed to an agent.
CONNECTED = "connected"


@typing.dataclass_transform(frozen_default=True, kw_only_default=True)
def _event(cls: type[_T]) -> type[_T]:
    return dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)


@_event
class CampaignDialPlaced(DomainEvent):
    """A lead of a campaign is being dialled as ``attempt_id``; ``agent_id`` is the agent held for it (None:
    predictive, found when a person answers)."""

    attempt_id: str
    campaign_id: int
    campaign: str
    lead_id: int
    number: str
    queue: str
    mode: str
    agent_id: str | None = None


@_event
class CampaignDialAnswered(DomainEvent):
    """The callee answered and ``AMD()`` heard ``verdict`` (``person`` or ``machine``)."""

    attempt_id: str
    campaign_id: int
    lead_id: int
    verdict: str
    amd_status: str
    amd_cause: str = ""


@_event
class CampaignDialEnded(DomainEvent):
    """What the attempt came to; ``ring_seconds`` from the dial to the answer or the failure."""

    attempt_id: str
    campaign_id: int
    campaign: str
    lead_id: int
    outcome: str
    ring_seconds: float
    agent_id: str | None = None
    detail: str = ""


@_event
class EarlierAttemptsLost(DomainEvent):
    """Campaign attempts dialled before ``before`` (by an earlier run of the dialer: a restart, a fail-over)
    that neither a person's answer nor any other report ended by now are over: nothing more will come of them.
    A person who answered one was taken over by the new run, so it is not among them."""

    before: float


@_event
class ManualCallPlaced(DomainEvent):
    """An agent dials ``number`` by hand as ``call_id`` (their phone rings first); ``customer_id`` is the CRM
    record they dialled from, if any."""

    call_id: str
    agent_id: str
    number: str
    customer_id: str | None = None


@_event
class ManualCallAnswered(DomainEvent):
    """The number of the call placed by hand as ``call_id`` answered: the agent talks to the callee."""

    call_id: str
    agent_id: str


@_event
class ManualCallEnded(DomainEvent):
    """What a call placed by hand came to (:data:`outbound.manual_calls.OUTCOMES`): ``answered_at`` is when the
    number answered (None when it did not), ``ring_seconds`` from the placing to that answer or to the end;
    ``wrap_up_until``: when the agent's wrap-up time of an answered call runs out."""

    call_id: str
    agent_id: str
    outcome: str
    ring_seconds: float
    answered_at: float | None = None
    wrap_up_until: float | None = None


@_event
class ManualCallDisposed(DomainEvent):
    """The agent's wrap-up of a call they placed by hand: one of the desk's dispositions, and notes."""

    call_id: str
    agent_id: str
    disposition: str
    notes: str = ""

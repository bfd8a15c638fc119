"""Calls agents place by hand (click-to-dial), followed through what the PBX reports (pure: events in, events
out).

The placer originates the agent's phone with the call id as the channel's ``Uniqueid`` (AMI ``ChannelId``);
once the agent answers, that channel runs ``Dial`` of the number. So the call's own channel tells everything:
its ``DialEnd`` gives the number's ``DialStatus`` (``ANSWER`` is the moment the callee picked up) and its
``Hangup`` ends the call. A failed ``OriginateResponse`` (matched by ActionID; it may come before the placer
knows the ActionID) or a hang-up before any dial means the agent's own phone was never answered.
"""

from __future__ import annotations

import collections
import dataclasses

from bus.events import DomainEvent
from cti.ami.events import ChannelHungUp, DialEnded, OriginateResult
from outbound.dial_events import ManualCallAnswered, ManualCallEnded, ManualCallPlaced
from outbound.dial_outcomes import BUSY, CONGESTION, FAILED, NO_ANSWER

ANSWERED = "answered"  # the number answered: agent and callee talked
CANCELLED = "cancelled"  # the agent hung up while the number was ringing
AGENT_NO_ANSWER = "agent_no_answer"  # the agent's own phone was not answered (or could not ring)
OUTCOMES = (ANSWERED, BUSY, NO_ANSWER, CONGESTION, FAILED, CANCELLED, AGENT_NO_ANSWER)
#: The outcome of each DialStatus Asterisk's ``Dial`` sets.
DIAL_STATUS_OUTCOME = {"ANSWER": ANSWERED, "BUSY": BUSY, "NOANSWER": NO_ANSWER, "CONGESTION": CONGESTION,
                       "CHANUNAVAIL": FAILED, "CANCEL": CANCELLED, "DONTCALL": FAILED, "TORTURE": FAILED,
                       "INVALIDARGS": FAILED}
#: Failed OriginateResponses kept while their ActionID is not yet known (the response can outrun the action's).
EARLY_FAILURES = 256


@dataclasses.dataclass(slots=True)
class _Call:
    agent_id: str
    placed_at: float
    outcome: str | None = None  # from the number's DialEnd
    answered_at: float | None = None


class ManualCalls:
    """The calls placed by hand that are not over yet, by call id."""

    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}
        self._actions: dict[str, str] = {}  # ActionID -> call id
        self._early: collections.OrderedDict[str, OriginateResult] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._calls)

    def placed(self, call_id: str, agent_id: str, number: str, *, customer_id: str | None,
               at: float) -> ManualCallPlaced:
        """The placer is about to originate ``call_id`` for ``agent_id``."""
        self._calls[call_id] = _Call(agent_id, at)
        return ManualCallPlaced(at=at, call_id=call_id, agent_id=agent_id, number=number, customer_id=customer_id)

    def originated(self, call_id: str, action_id: str) -> ManualCallEnded | None:
        """The PBX took the originate of ``call_id`` as ``action_id``; its end, when it already failed."""
        early = self._early.pop(action_id, None)
        if early is not None:
            ended = self.observe(early, call_id)  # a failed originate: the call's end
            return ended if isinstance(ended, ManualCallEnded) else None
        if call_id in self._calls:
            self._actions[action_id] = call_id
        return None

    def not_placed(self, call_id: str, at: float) -> ManualCallEnded | None:
        """The PBX refused the originate of ``call_id``: it ends, failed."""
        call = self._calls.get(call_id)
        if call is not None:
            call.outcome = FAILED
        return self._end(call_id, at)

    def observe(self, event: DomainEvent, call_id: str | None = None) -> ManualCallAnswered | ManualCallEnded | None:
        """Follow ``event``; the answer or the end of a call when it brought one."""
        match event:
            case OriginateResult(action_id=action_id) if action_id is not None:
                call_id = call_id or self._actions.pop(action_id, None)
                if call_id is None:
                    if not event.success:
                        self._early[action_id] = event
                        while len(self._early) > EARLY_FAILURES:
                            self._early.popitem(last=False)
                    return None
                return None if event.success else self._end(call_id, event.at)
            case DialEnded(uniqueid=uniqueid) if uniqueid in self._calls:
                call = self._calls[uniqueid]
                if call.outcome is None:
                    call.outcome = DIAL_STATUS_OUTCOME.get(event.dial_status.upper(), FAILED)
                    if call.outcome == ANSWERED:
                        call.answered_at = event.at
                        return ManualCallAnswered(at=event.at, call_id=uniqueid, agent_id=call.agent_id)
            case ChannelHungUp(uniqueid=uniqueid) if uniqueid in self._calls:
                return self._end(uniqueid, event.at)
        return None

    def _end(self, call_id: str, at: float) -> ManualCallEnded | None:
        call = self._calls.pop(call_id, None)
        if call is None:
            return None
        ring_end = call.answered_at if call.answered_at is not None else at
        return ManualCallEnded(at=at, call_id=call_id, agent_id=call.agent_id, outcome=call.outcome or AGENT_NO_ANSWER,
                               ring_seconds=max(0.0, ring_end - call.placed_at), answered_at=call.answered_at)

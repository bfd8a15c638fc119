"""What the event log says is still open, folded one event at a time: queued calls, call-back numbers, talks,
agents' last states and completed consultations (pure: no I/O).

Re-adoption after a restart (:mod:`acd.readopt`) needs this fold, not the log itself. Folding is
incremental and the state is a JSON-able record, so a node keeps a snapshot of it with the log position it
covers and reads only the events after that position at start-up: folding the snapshot's record and then
the tail gives what folding the whole log gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from acd.errors import AcdError
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallEnded,
    CallQueued,
    ConsultEnded,
)
from bus.events import DomainEvent

OPEN_CALLS_VERSION = 1
#: The event types the fold reads (others are ignored).
HISTORY_EVENTS = (CallQueued, CallbackRequested, CallConnected, CallEnded, CallAbandoned, AgentStateChanged,
                  ConsultEnded)

_E = TypeVar("_E", bound=DomainEvent)


class UnreadableOpenCalls(AcdError, ValueError):
    """A record of open calls of another version than this code writes, or malformed."""


@dataclasses.dataclass(slots=True)
class OpenCalls:
    """The open part of the event log: what :func:`acd.readopt.plan_restore` merges with the live channels."""

    queued: dict[str, CallQueued] = dataclasses.field(default_factory=dict)
    callbacks: dict[str, str] = dataclasses.field(default_factory=dict)
    connected: dict[str, CallConnected] = dataclasses.field(default_factory=dict)
    agents: dict[str, AgentStateChanged] = dataclasses.field(default_factory=dict)
    # A completed consultation: the caller of the first call is the caller of the second one now.
    handed_over: dict[str, str] = dataclasses.field(default_factory=dict)
    # The other way round (derived), so a hand-over is forgotten once the call it leads to is over.
    _handed_from: dict[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def fold(self, events: Iterable[DomainEvent]) -> OpenCalls:
        """Apply ``events`` (in log order) and return this same object."""
        for event in events:
            self.apply(event)
        return self

    def apply(self, e: DomainEvent) -> None:
        """Take one logged event into account."""
        if isinstance(e, CallQueued):
            self.queued[e.call_id] = e
            self.connected.pop(e.call_id, None)
        elif isinstance(e, CallbackRequested):
            self.callbacks[e.call_id] = e.number
        elif isinstance(e, CallConnected):
            self.connected[e.call_id] = e
        elif isinstance(e, CallEnded | CallAbandoned):
            self.queued.pop(e.call_id, None)
            self.callbacks.pop(e.call_id, None)
            self.connected.pop(e.call_id, None)
            self._forget_hand_overs_to(e.call_id)
        elif isinstance(e, AgentStateChanged):
            self.agents[e.agent_id] = e
        elif isinstance(e, ConsultEnded) and e.outcome == "completed":
            self.handed_over[e.call_id] = e.consult_id
            self._handed_from[e.consult_id] = e.call_id

    def _forget_hand_overs_to(self, call_id: str) -> None:
        # Only once the last call of a chain is over: until then a channel tagged with the first one is its caller.
        # Without this the hand-overs of every transfer ever made would stay, and the snapshot would grow with history.
        if call_id in self.handed_over:
            return
        seen = {call_id}
        while (before := self._handed_from.pop(call_id, None)) is not None and before not in seen:
            seen.add(before)
            if self.handed_over.get(before) == call_id:
                del self.handed_over[before]
            call_id = before

    def current_call(self, call_id: str) -> str:
        """The call a channel tagged with ``call_id`` carries now, following completed consultations."""
        seen = {call_id}
        while (after := self.handed_over.get(call_id)) is not None and after not in seen:
            seen.add(after)
            call_id = after
        return call_id

    def to_record(self) -> dict[str, Any]:
        """A JSON-able record; :meth:`from_record` gives back an equal state that folds on alike."""
        return {
            "version": OPEN_CALLS_VERSION,
            "queued": [e.to_record() for e in self.queued.values()],
            "callbacks": dict(self.callbacks),
            "connected": [e.to_record() for e in self.connected.values()],
            "agents": [e.to_record() for e in self.agents.values()],
            "handed_over": dict(self.handed_over),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> OpenCalls:
        """Read a :meth:`to_record` record back; :class:`UnreadableOpenCalls` when it is not one."""
        if record.get("version") != OPEN_CALLS_VERSION:
            raise UnreadableOpenCalls(f"unsupported open-calls version {record.get('version')!r}")
        try:
            state = cls(
                queued={e.call_id: e for e in _events(record["queued"], CallQueued)},
                callbacks={str(k): str(v) for k, v in record["callbacks"].items()},
                connected={e.call_id: e for e in _events(record["connected"], CallConnected)},
                agents={e.agent_id: e for e in _events(record["agents"], AgentStateChanged)},
                handed_over={str(k): str(v) for k, v in record["handed_over"].items()},
            )
        except (KeyError, TypeError, AttributeError, LookupError) as exc:
            raise UnreadableOpenCalls(f"malformed open-calls record: {exc!r}") from exc
        state._handed_from = {after: before for before, after in state.handed_over.items()}
        return state


def _events(records: Iterable[Mapping[str, Any]], kind: type[_E]) -> list[_E]:
    events = [DomainEvent.from_record(dict(r)) for r in records]
    wrong = [e for e in events if not isinstance(e, kind)]
    if wrong:
        raise UnreadableOpenCalls(f"a {wrong[0].type_name} where {kind.__name__} events belong")
    return [e for e in events if isinstance(e, kind)]

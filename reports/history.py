"""A replay of the event log into one record per customer call and the agents' time in each state: pure.

Customer calls are keyed by their call id, which a blind transfer (queued again), a call-back (the same
call, rung back) and an attended transfer (the consultation becomes the caller's call) all keep or link
to, so each call's queue outcome is decided once. A consultation (``consult_of`` set) is no customer
call: its agent time is added to the call it is about.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallQueued,
    ConsultEnded,
    ConsultStarted,
)
from bus.events import DomainEvent
from reports.definitions import KpiSettings, Outcome, abandon_outcome

HANDLING_STATES = frozenset({"reserved", "on_call", "wrap_up"})
#: The events :func:`replay` reads: a reader of the event log need fetch no others.
REPLAYED_EVENTS: tuple[type[DomainEvent], ...] = (
    AgentStateChanged, CallQueued, CallConnected, CallAbandoned, CallbackRequested, CallEnded, CallDisposed,
    ConsultStarted, ConsultEnded)


@dataclasses.dataclass(slots=True)
class CallRecord:
    """One customer call as the reports see it."""

    call_id: str
    queue: str  # the queue it first entered: where its outcome counts
    entered_at: float
    customer: str | None = None
    outcome: Outcome | None = None  # None: still waiting (or never decided)
    outcome_at: float | None = None
    wait_seconds: float = 0.0
    agent_id: str | None = None  # who answered it first (or its call-back)
    handled_by: list[str] = dataclasses.field(default_factory=list)  # every agent who talked with the caller
    talk_seconds: float = 0.0  # all agents' talk on it, consultations included, hold left out
    hold_seconds: float = 0.0
    after_call_work: float = 0.0
    transfers: int = 0  # every transfer, blind or attended
    consultations: int = 0  # consultations started about it
    attended_transfers: int = 0  # the transfers that were consultations handed over
    callback_answered: bool = False  # its call-back reached an agent
    disposition: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AgentSegment:
    """An agent's stretch in one state, ``start`` to ``end`` (epoch seconds)."""

    agent_id: str
    state: str
    reason: str | None
    start: float
    end: float


class CallHistory:
    """Folds domain events (in log order) into call records and agent segments; :meth:`apply` each."""

    def __init__(self, settings: KpiSettings | None = None, *, keep_segments: bool = True) -> None:
        self.settings = settings or KpiSettings()
        self.keep_segments = keep_segments  # False: a live fold that needs only the calls
        self.calls: dict[str, CallRecord] = {}
        self.segments: list[AgentSegment] = []
        self._consult_of: dict[str, str] = {}  # consultation call id -> the customer call it is about
        self._open: dict[str, tuple[str, str | None, float]] = {}  # agent -> state, reason, since
        self._last_call: dict[str, str] = {}  # agent -> the customer call whose wrap-up it would be in
        self._consult_agent: dict[str, str] = {}  # consultation call id -> the colleague who took it

    def apply(self, event: DomainEvent) -> None:
        """Fold one event; events the reports do not read are ignored."""
        if isinstance(event, AgentStateChanged):
            self._agent_state(event)
            return
        if isinstance(event, ConsultStarted):
            self._consult_of[event.consult_id] = self._customer_call(event.call_id)
            record = self.calls.get(self._customer_call(event.call_id))
            if record is not None:
                record.consultations += 1
            return
        if isinstance(event, CallQueued) and event.consult_of is not None:
            self._consult_of[event.call_id] = self._customer_call(event.consult_of)
            return
        if isinstance(event, ConsultEnded):
            record = self.calls.get(self._customer_call(event.call_id))
            if record is not None and event.outcome == "completed":
                record.attended_transfers += 1
                colleague = self._consult_agent.get(event.consult_id)
                if colleague is not None:
                    record.handled_by.append(colleague)
            return
        call_id = getattr(event, "call_id", None)
        if not isinstance(call_id, str):
            return
        consultation = call_id in self._consult_of
        customer_call = self._customer_call(call_id)
        if isinstance(event, CallQueued):
            if customer_call not in self.calls:
                self.calls[customer_call] = CallRecord(
                    call_id=customer_call, queue=event.queue, entered_at=event.enter_time,
                    customer=event.caller.customer_code,
                )
            return
        record = self.calls.get(customer_call)
        if record is None:
            return  # its queueing is before the replayed stretch of the log
        if isinstance(event, CallConnected) and consultation:
            self._consult_agent[call_id] = event.agent_id
        elif isinstance(event, CallConnected):
            record.handled_by.append(event.agent_id)
            if record.outcome is None:
                self._decide(record, Outcome.ANSWERED, event.at, event.wait_seconds)
                record.agent_id = event.agent_id
            elif record.outcome is Outcome.CALLBACK and not record.callback_answered:
                record.callback_answered = True
                record.agent_id = event.agent_id
        elif isinstance(event, CallAbandoned) and not consultation and record.outcome is None:
            self._decide(record, abandon_outcome(event.wait_seconds, self.settings), event.at, event.wait_seconds)
        elif isinstance(event, CallbackRequested) and record.outcome is None:
            self._decide(record, Outcome.CALLBACK, event.at, event.at - event.enter_time)
        elif isinstance(event, CallEnded):
            record.talk_seconds += max(0.0, event.talk_seconds - event.held_seconds)
            record.hold_seconds += event.held_seconds
            if event.outcome == "transferred":
                record.transfers += 1
            if event.agent_id is not None:
                self._last_call[event.agent_id] = customer_call
        elif isinstance(event, CallDisposed):
            record.disposition = event.disposition

    def close(self, at: float) -> None:
        """End every agent's open stretch at ``at`` (the end of the replayed period)."""
        for agent_id, (state, reason, since) in self._open.items():
            if at > since:
                self.segments.append(AgentSegment(agent_id, state, reason, since, at))
            self._open[agent_id] = (state, reason, at)

    def forget_before(self, at: float) -> None:
        """Drop the calls that entered before ``at`` (a live fold keeps a bounded past)."""
        for call_id in [c for c, r in self.calls.items() if r.entered_at < at]:
            del self.calls[call_id]
        self._consult_of = {k: v for k, v in self._consult_of.items() if v in self.calls}

    def _customer_call(self, call_id: str) -> str:
        return self._consult_of.get(call_id, call_id)

    @staticmethod
    def _decide(record: CallRecord, outcome: Outcome, at: float, wait: float) -> None:
        record.outcome, record.outcome_at, record.wait_seconds = outcome, at, wait

    def _agent_state(self, event: AgentStateChanged) -> None:
        opened = self._open.get(event.agent_id)
        if opened is not None:
            state, reason, since = opened
            if event.at > since and self.keep_segments:
                self.segments.append(AgentSegment(event.agent_id, state, reason, since, event.at))
            if state == "wrap_up" and event.state != "wrap_up":
                record = self.calls.get(self._last_call.get(event.agent_id, ""))
                if record is not None:
                    record.after_call_work += max(0.0, event.at - since)
        self._open[event.agent_id] = (event.state, event.reason, event.at)


def replay(events: Iterable[DomainEvent], settings: KpiSettings | None = None,
           until: float | None = None) -> CallHistory:
    """The history of ``events``; agents' open stretches end at ``until`` when given."""
    history = CallHistory(settings)
    for event in events:
        history.apply(event)
    if until is not None:
        history.close(until)
    return history

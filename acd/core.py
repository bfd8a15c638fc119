"""The ACD core: queues, agents and the router, driven by plain method calls, with no I/O.

Every public method takes the time from the injected clock, updates state and returns
:class:`~acd.decisions.Effects` (decisions for the service to carry out, domain events to publish).

Routing keeps one invariant after every call: no ready agent is eligible for any waiting call. So
work is only needed where something changed: a call arriving (or returning, or escalating) looks at
the ready agents eligible for it; an agent freeing up looks at the calls it is eligible for.

Calls are indexed by *group*: a queue plus one requirement (skills with minimum levels). Calls wait
in their group's heap, ordered by the time-invariant key ``priority_weight*priority -
aging_weight*enter_time`` (the same order as the aging score at any instant). Each agent holds the
groups with calls that it is eligible for, with its skill match there; a freeing agent compares only
the head of each, adding ``match_weight*match``. Ready agents are indexed per queue and per
(queue, skill), ordered by level then idle time; an arriving call looks only at the ready agents
holding its rarest required skill. Stale heap entries are dropped lazily, heaps compacted when mostly
stale, and empty groups are dropped by the agents that meet them and re-linked through the
(queue, skill) member index when calls come back.
"""

from __future__ import annotations

import dataclasses
import enum
import heapq
from collections.abc import Mapping
from typing import Any

from acd.agents import AgentState, AgentStatus, IllegalTransition
from acd.config import MAX_LEVEL, MIN_LEVEL, AcdConfig, AgentConfig, QueueConfig
from acd.decisions import Effects, Offer, OriginateCallback, Refused
from acd.estimate import HandleTimeEstimate
from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferFailed,
    CallQueued,
    CallResumed,
)
from bus.clock import Clock

Requirement = tuple[tuple[str, int], ...]
SNAPSHOT_VERSION = 1
OFFER_FAILURES = {"no_answer": "missed", "busy": "busy", "failed": "failed"}


class AcdError(Exception):
    """Base of the core's errors."""


class UnknownQueue(AcdError, LookupError):
    """A call named a queue the configuration does not declare."""


class UnknownAgent(AcdError, LookupError):
    """An agent id the configuration does not declare."""


class UnknownCall(AcdError, LookupError):
    """A call id the core does not hold (never queued, or already over)."""


class UnknownPauseReason(AcdError, ValueError):
    """A not-ready reason that is not among the configured pause reasons."""


class WrongCallState(AcdError, ValueError):
    """The call is not in the state this operation needs (e.g. answering a call nobody was offered)."""


class DuplicateCall(AcdError, ValueError):
    """A call id that is already queued or in progress."""


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
    tier: str | None = None
    customer_id: str | None = None
    customer_code: str | None = None
    intent: str | None = None
    ani: str | None = None
    ivr_data: tuple[tuple[str, str], ...] = ()
    unidentified: bool = False
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
    groups: list[_Group] = dataclasses.field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id, "queue": self.queue, "priority": self.priority,
            "skills": [list(s) for s in self.skills], "enter_time": self.enter_time, "seq": self.seq,
            "tier": self.tier, "customer_id": self.customer_id, "customer_code": self.customer_code,
            "intent": self.intent, "ani": self.ani, "ivr_data": [list(d) for d in self.ivr_data],
            "unidentified": self.unidentified, "callback_number": self.callback_number,
            "status": self.status.value, "agent_id": self.agent_id, "connected_at": self.connected_at,
            "pinned": self.pinned, "consult_of": self.consult_of, "held_since": self.held_since,
            "held_seconds": self.held_seconds,
        }


# Heap entries. Calls: (-key, enter_time, seq, token, call). Ready agents: (-level, since, id, epoch, agent).
_CallEntry = tuple[float, float, int, int, Call]
_AgentEntry = tuple[int, float, str, int, "_Agent"]


class _ReadyHeap:
    """Ready agents by (-level, idle since, id); entries of agents no longer ready are dropped lazily."""

    __slots__ = ("entries", "live")

    def __init__(self) -> None:
        self.entries: list[_AgentEntry] = []
        self.live = 0

    def push(self, level: int, agent: _Agent) -> None:
        heapq.heappush(self.entries, (-level, agent.status.since, agent.config.id, agent.ready_epoch, agent))
        self.live += 1

    def leave(self) -> None:
        self.live -= 1
        if len(self.entries) > 2 * self.live + 32:
            self.entries = [e for e in self.entries if e[4].indexed and e[4].ready_epoch == e[3]]
            heapq.heapify(self.entries)

    def head(self) -> _AgentEntry | None:
        heap = self.entries
        while heap:
            entry = heap[0]
            if entry[4].indexed and entry[4].ready_epoch == entry[3]:
                return entry
            heapq.heappop(heap)
        return None


class _Group:
    """Waiting calls of one queue and requirement.

    ``calls[0]``, when there is one, is always live (stale entries are popped as calls leave) and
    ``top`` is its first field, None when no call waits: a freeing agent scanning its groups reads one
    attribute per group instead of following pointers into the heap and the call.
    """

    __slots__ = ("calls", "complete", "linked", "live_calls", "queue", "requirement", "top")

    def __init__(self, queue: str, requirement: Requirement) -> None:
        self.queue = queue
        self.requirement = requirement
        self.calls: list[_CallEntry] = []
        self.live_calls = 0
        self.linked: set[_Agent] = set()  # agents holding this group in their ``groups``
        self.complete = False  # every eligible agent is linked
        self.top: float | None = None

    def add(self, entry: _CallEntry) -> None:
        heapq.heappush(self.calls, entry)
        self.live_calls += 1
        self.top = self.calls[0][0]

    def left(self) -> None:
        """One call of the group left it (its token is already bumped)."""
        self.live_calls -= 1
        heap = self.calls
        while heap and heap[0][4].token != heap[0][3]:
            heapq.heappop(heap)
        # Stale entries deep in a heap are never popped; rebuild once they dominate.
        if len(heap) > 2 * self.live_calls + 32:
            heap = self.calls = [e for e in heap if e[4].token == e[3]]
            heapq.heapify(heap)
        self.top = heap[0][0] if heap else None


class _Agent:
    __slots__ = ("config", "groups", "indexed", "queues", "ready_epoch", "skills", "status")

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.skills = dict(config.skills)
        self.queues = frozenset(config.queues)
        self.status = AgentStatus(config.id)
        # Groups with calls it is eligible for, each with the score bonus of its skill match there.
        self.groups: dict[_Group, float] = {}
        self.ready_epoch = 0
        self.indexed = False  # its entries in the ready heaps are live

    def match(self, requirement: Requirement) -> int | None:
        """Sum of the agent's levels in the required skills, or None if it lacks one."""
        total = 0
        for skill, minimum in requirement:
            level = self.skills.get(skill, 0)
            if level < minimum:
                return None
            total += level
        return total


@dataclasses.dataclass(frozen=True, slots=True)
class AgentView:
    """A read-only look at one agent."""

    agent_id: str
    state: AgentState
    reason: str | None
    since: float
    call_id: str | None
    pending_pause: str | None


class Acd:
    """The ACD decision-maker for one tenant."""

    def __init__(self, config: AcdConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.weights = config.weights
        self._queues: dict[str, QueueConfig] = {q.name: q for q in config.queues}
        self._waiting: dict[str, dict[str, Call]] = {q.name: {} for q in config.queues}
        self._members: dict[str, set[str]] = {q.name: set() for q in config.queues}
        self._members_with: dict[tuple[str, str], list[_Agent]] = {}  # (queue, skill) -> members with it
        self._groups: dict[tuple[str, Requirement], _Group] = {}
        self._ready: dict[str, _ReadyHeap] = {q.name: _ReadyHeap() for q in config.queues}
        self._ready_with: dict[tuple[str, str], _ReadyHeap] = {}
        self._agents: dict[str, _Agent] = {}
        self._calls: dict[str, Call] = {}
        self._handle = {q.name: HandleTimeEstimate(q.expected_handle_seconds) for q in config.queues}
        # (due, seq, step, push counter, call): the counter keeps re-pushed duplicates from comparing calls.
        self._escalations: list[tuple[float, int, int, int, Call]] = []
        self._pushes = 0
        self._wrap_ups: list[tuple[float, str]] = []
        self._seq = 0
        for agent in config.agents:
            self.add_agent(agent)

    # ----------------------------------------------------------------- agents

    def add_agent(self, config: AgentConfig) -> None:
        """Declare an agent (logged out) at run time, e.g. one created in the admin pages."""
        if config.id in self._agents:
            raise AcdError(f"agent {config.id!r} already exists")
        for q in config.queues:
            if q not in self._queues:
                raise UnknownQueue(q)
        agent = _Agent(config)
        self._agents[config.id] = agent
        for q in agent.queues:
            self._members[q].add(config.id)
            for skill in agent.skills:
                self._members_with.setdefault((q, skill), []).append(agent)
                self._ready_with.setdefault((q, skill), _ReadyHeap())
        for group in self._groups.values():
            group.complete = group.complete and group.queue not in agent.queues

    def login(self, agent_id: str, *, ready: bool = False, reason: str | None = None) -> Effects:
        """Log an agent in, ready for calls or not ready (with an optional pause reason)."""
        agent = self._agent(agent_id)
        fx = Effects()
        if ready:
            self._free(agent, fx)
        else:
            self._check_reason(reason, allow_none=True)
            self._move(agent, AgentState.NOT_READY, fx, reason)
        return fx

    def ready(self, agent_id: str) -> Effects:
        """The agent is ready (from not ready, or ending wrap-up early); it may be offered a call at once."""
        agent = self._agent(agent_id)
        if agent.status.state not in (AgentState.NOT_READY, AgentState.WRAP_UP):
            raise IllegalTransition(agent_id, agent.status.state, AgentState.READY)
        agent.status.pending_pause = None
        fx = Effects()
        self._free(agent, fx)
        return fx

    def pause(self, agent_id: str, reason: str) -> Effects:
        """Not ready with ``reason``; while ringing or talking the pause waits for the call (and wrap-up) to end."""
        self._check_reason(reason)
        agent = self._agent(agent_id)
        fx = Effects()
        if agent.status.state is AgentState.LOGGED_OUT:
            raise IllegalTransition(agent_id, agent.status.state, AgentState.NOT_READY)
        if agent.status.state in (AgentState.RESERVED, AgentState.ON_CALL):
            agent.status.pending_pause = reason
        else:
            self._move(agent, AgentState.NOT_READY, fx, reason)
        return fx

    def logout(self, agent_id: str) -> Effects:
        """Log the agent out; a call ringing its phone goes back to the head of its queue."""
        agent = self._agent(agent_id)
        fx = Effects()
        call = self._calls.get(agent.status.call_id or "")
        self._move(agent, AgentState.LOGGED_OUT, fx)
        agent.status.pending_pause = None
        if call is not None:
            self._return_offer(call, agent, "logged_out", fx)
        return fx

    def agent(self, agent_id: str) -> AgentView:
        s = self._agent(agent_id).status
        return AgentView(s.agent_id, s.state, s.reason, s.since, s.call_id, s.pending_pause)

    def agents(self) -> list[AgentView]:
        return [self.agent(a) for a in self._agents]

    # ------------------------------------------------------------------ calls

    def enqueue(
        self,
        call_id: str,
        queue: str,
        *,
        priority: int = 0,
        skills: Mapping[str, int] | None = None,
        tier: str | None = None,
        customer_id: str | None = None,
        customer_code: str | None = None,
        intent: str | None = None,
        ani: str | None = None,
        ivr_data: Mapping[str, str] | None = None,
        unidentified: bool = False,
        enter_time: float | None = None,
        adopting: bool = False,
        agent_id: str | None = None,
        consult_of: str | None = None,
    ) -> Effects:
        """A call asks for an agent. ``skills`` (name -> minimum level) default to the queue's.

        Refused (decision, no event) when the queue is closed or full, unless ``adopting`` (a call
        re-adopted after a restart, with its original ``enter_time``), which is always taken.

        ``agent_id`` pins the call to that agent (a transfer or consultation to a named colleague): it is
        offered to them at once whatever their queues and skills, or refused (``agent_unavailable``) when
        they are not ready; queue hours and length do not apply. ``consult_of`` marks a consultation: an
        agent talking on that call asks a colleague about it; its "caller" is the consulting agent.
        """
        q = self._queues.get(queue)
        if q is None:
            raise UnknownQueue(queue)
        if call_id in self._calls:
            raise DuplicateCall(call_id)
        now = self.clock()
        fx = Effects()
        target = None if agent_id is None else self._agent(agent_id)
        if target is not None:
            if target.status.state is not AgentState.READY:
                fx.decisions.append(Refused(call_id, queue, "agent_unavailable"))
                return fx
        elif not adopting:
            if not q.hours.is_open(now):
                fx.decisions.append(Refused(call_id, queue, "closed"))
                return fx
            if q.max_length is not None and len(self._waiting[queue]) >= q.max_length:
                fx.decisions.append(Refused(call_id, queue, "queue_full"))
                return fx
        required = q.skills if skills is None else _requirement(skills)
        self._seq += 1
        call = Call(
            call_id=call_id, queue=queue, priority=priority, skills=required,
            enter_time=now if enter_time is None else enter_time, seq=self._seq, tier=tier,
            customer_id=customer_id, customer_code=customer_code, intent=intent, ani=ani,
            ivr_data=tuple(sorted((ivr_data or {}).items())), unidentified=unidentified,
            pinned=agent_id, consult_of=consult_of,
        )
        self._calls[call_id] = call
        fx.events.append(self._queued_event(call, now))
        if target is not None:
            self._escalate(call, now)
            self._offer(call, target, now, fx)
        else:
            self._place(call, now, fx)
        return fx

    def answered(self, call_id: str) -> Effects:
        """The offered agent (and, for a call-back, the customer) answered: they are talking."""
        call = self._call(call_id, CallStatus.OFFERED)
        agent = self._agents[call.agent_id or ""]
        now = self.clock()
        fx = Effects()
        self._move(agent, AgentState.ON_CALL, fx, call_id=call_id)
        call.status = CallStatus.CONNECTED
        call.connected_at = now
        fx.events.append(CallConnected(at=now, call_id=call_id, queue=call.queue, agent_id=agent.config.id,
                                       wait_seconds=now - call.enter_time))
        return fx

    def offer_failed(self, call_id: str, reason: str) -> Effects:
        """The agent did not take the offer (``no_answer``, ``busy``, ``failed``): the agent goes not ready
        with reason missed/busy/failed and the call returns to its place with its original enter time.

        A call pinned to that agent waits in its queue for anyone instead, except a consultation pinned
        to them, which ends there (the consulting agent goes back to their caller)."""
        if reason not in OFFER_FAILURES:
            raise ValueError(f"offer failure reason must be one of {sorted(OFFER_FAILURES)}, got {reason!r}")
        call = self._call(call_id, CallStatus.OFFERED)
        agent = self._agents[call.agent_id or ""]
        fx = Effects()
        self._move(agent, AgentState.NOT_READY, fx, OFFER_FAILURES[reason])
        self._return_offer(call, agent, reason, fx)
        return fx

    def hangup(self, call_id: str) -> Effects:
        """The call's channel is gone, at any step: waiting (abandoned), ringing an agent (abandoned; the
        agent is free again) or talking (ended; wrap-up follows). A waiting call-back entry no longer has
        a caller channel, so its hang-up changes nothing; an offered call-back whose customer leg is gone
        ends as ``callback_failed``. Unknown ids are ignored (hang-ups may arrive twice)."""
        call = self._calls.get(call_id)
        fx = Effects()
        if call is None:
            return fx
        now = self.clock()
        if call.status is CallStatus.WAITING:
            if call.callback_number is None:
                position = self.position(call_id)
                self._forget(call)
                fx.events.append(CallAbandoned(at=now, call_id=call_id, queue=call.queue,
                                               wait_seconds=now - call.enter_time, position=position))
            return fx
        agent = self._agents[call.agent_id or ""]
        del self._calls[call_id]
        if call.status is CallStatus.OFFERED:
            if call.callback_number is None:
                fx.events.append(CallAbandoned(at=now, call_id=call_id, queue=call.queue,
                                               wait_seconds=now - call.enter_time))
            else:
                fx.events.append(CallEnded(at=now, call_id=call_id, queue=call.queue,
                                           agent_id=agent.config.id, talk_seconds=0.0,
                                           outcome="callback_failed"))
            agent.status.call_id = None
            self._after_call(agent, wrap_up=0.0, fx=fx)
            return fx
        self._end_talk(call, agent, "answered", fx)
        return fx

    def transfer_out(self, call_id: str) -> Effects:
        """A talking call leaves its agent by a blind transfer: the agent's part ends (``CallEnded`` with
        outcome ``transferred``, wrap-up follows); whoever transfers queues the caller again."""
        call = self._call(call_id, CallStatus.CONNECTED)
        fx = Effects()
        del self._calls[call_id]
        self._end_talk(call, self._agents[call.agent_id or ""], "transferred", fx)
        return fx

    def end_consult(self, call_id: str) -> Effects:
        """A consultation ends without the caller being handed over (called off, not answered, or the
        colleague hung up): still waiting or ringing it is dropped (``CallAbandoned``); talked, it ends as
        ``consulted`` and the colleague is free at once, with nothing to wrap up. A consultation that was
        handed over is the caller's call now: :meth:`hangup` ends it. Unknown ids are ignored."""
        call = self._calls.get(call_id)
        fx = Effects()
        if call is None:
            return fx
        if call.consult_of is None:
            raise WrongCallState(f"call {call_id} is not a consultation")
        if call.status is not CallStatus.CONNECTED:
            return self.hangup(call_id)
        agent = self._agents[call.agent_id or ""]
        del self._calls[call_id]
        now = self.clock()
        fx.events.append(CallEnded(at=now, call_id=call_id, queue=call.queue, agent_id=agent.config.id,
                                   talk_seconds=now - (call.connected_at or now), outcome="consulted"))
        agent.status.call_id = None
        self._after_call(agent, wrap_up=0.0, fx=fx)
        return fx

    def hold(self, call_id: str) -> Effects:
        """The agent put the talking caller on hold (it stays the agent's call, time on hold counts)."""
        call = self._call(call_id, CallStatus.CONNECTED)
        if call.held_since is not None:
            raise WrongCallState(f"call {call_id} is on hold already")
        call.held_since = self.clock()
        return Effects(events=[CallHeld(at=call.held_since, call_id=call_id, queue=call.queue,
                                        agent_id=call.agent_id or "")])

    def resume(self, call_id: str) -> Effects:
        """The caller on hold is back with the agent."""
        call = self._call(call_id, CallStatus.CONNECTED)
        if call.held_since is None:
            raise WrongCallState(f"call {call_id} is not on hold")
        now = self.clock()
        held = now - call.held_since
        call.held_seconds += held
        call.held_since = None
        return Effects(events=[CallResumed(at=now, call_id=call_id, queue=call.queue, agent_id=call.agent_id or "",
                                           held_seconds=held)])

    def _end_talk(self, call: Call, agent: _Agent, outcome: str, fx: Effects) -> None:
        now = self.clock()
        talk = now - (call.connected_at or now)
        held = call.held_seconds + (0.0 if call.held_since is None else now - call.held_since)
        queue = self._queues[call.queue]
        self._handle[call.queue].observe(talk + queue.wrap_up_seconds)
        fx.events.append(CallEnded(at=now, call_id=call.call_id, queue=call.queue, agent_id=agent.config.id,
                                   talk_seconds=talk, outcome=outcome, held_seconds=held))
        agent.status.call_id = None
        self._after_call(agent, wrap_up=queue.wrap_up_seconds, fx=fx)

    def request_callback(self, call_id: str, number: str) -> Effects:
        """A waiting caller asks to be called back at ``number``; the entry keeps its place in the queue."""
        call = self._call(call_id, CallStatus.WAITING)
        if not number:
            raise ValueError("a call-back needs a number")
        call.callback_number = number
        return Effects(events=[CallbackRequested(at=self.clock(), call_id=call_id, queue=call.queue,
                                                 number=number, enter_time=call.enter_time)])

    # ------------------------------------------------------------------- time

    def tick(self) -> Effects:
        """Apply what the clock has made due: escalation steps and ends of wrap-up."""
        now = self.clock()
        fx = Effects()
        while self._wrap_ups and self._wrap_ups[0][0] <= now:
            until, agent_id = heapq.heappop(self._wrap_ups)
            agent = self._agents[agent_id]
            if agent.status.state is AgentState.WRAP_UP and agent.status.wrap_up_until == until:
                self._end_wrap_up(agent, fx)
        while self._escalations and self._escalations[0][0] <= now:
            _, _, step, _, call = heapq.heappop(self._escalations)
            if self._calls.get(call.call_id) is call and call.escalations == step:
                if call.status is CallStatus.WAITING:
                    self._unplace(call)
                    self._place(call, now, fx)
                else:
                    # Offered or talking: the step waits until (if ever) the call returns to the queue.
                    continue
        return fx

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do (None: nothing scheduled)."""
        while self._escalations:
            _, _, step, _, call = self._escalations[0]
            if self._calls.get(call.call_id) is call and call.escalations == step \
                    and call.status is CallStatus.WAITING:
                break
            heapq.heappop(self._escalations)
        while self._wrap_ups:
            until, agent_id = self._wrap_ups[0]
            status = self._agents[agent_id].status
            if status.state is AgentState.WRAP_UP and status.wrap_up_until == until:
                break
            heapq.heappop(self._wrap_ups)
        times = [h[0][0] for h in (self._escalations, self._wrap_ups) if h]
        return min(times) if times else None

    # ---------------------------------------------------------------- queries

    def waiting(self, queue: str) -> int:
        """How many calls wait in ``queue`` (call-backs included, overflowed-in calls not)."""
        if queue not in self._waiting:
            raise UnknownQueue(queue)
        return len(self._waiting[queue])

    def waiting_calls(self, queue: str) -> list[Call]:
        """The waiting calls of ``queue`` in the order they would be served (by the aging score now)."""
        if queue not in self._waiting:
            raise UnknownQueue(queue)
        return sorted(self._waiting[queue].values(), key=self._order)

    def position(self, call_id: str) -> int:
        """1-based place of a waiting call in its home queue by the routing score (1 = next)."""
        call = self._call(call_id, CallStatus.WAITING)
        mine = self._order(call)
        return 1 + sum(1 for c in self._waiting[call.queue].values() if self._order(c) < mine)

    def estimated_wait(self, call_id: str) -> float | None:
        """Seconds until this waiting call reaches an agent, from the live handle time and staffing."""
        call = self._call(call_id, CallStatus.WAITING)
        return self._handle[call.queue].wait_for_position(self.position(call_id), self._staffed(call.queue))

    def estimated_wait_new(self, queue: str) -> float | None:
        """Expected wait of a caller joining ``queue`` now at the back."""
        if queue not in self._queues:
            raise UnknownQueue(queue)
        return self._handle[queue].wait_for_position(len(self._waiting[queue]) + 1, self._staffed(queue))

    def call(self, call_id: str) -> Call:
        found = self._calls.get(call_id)
        if found is None:
            raise UnknownCall(call_id)
        return found

    # --------------------------------------------------------------- snapshot

    def snapshot(self) -> dict[str, Any]:
        """All state a restarted service needs, as a JSON-able dict."""
        return {
            "version": SNAPSHOT_VERSION,
            "seq": self._seq,
            "calls": [c.to_record() for c in sorted(self._calls.values(), key=lambda c: c.seq)],
            "agents": [dataclasses.asdict(a.status) | {"state": a.status.state.value}
                       for a in self._agents.values()],
            "handle_seconds": {q: h.mean_seconds for q, h in self._handle.items()},
        }

    def restore(self, snapshot: Mapping[str, Any]) -> Effects:
        """Load a :meth:`snapshot` into this fresh core and route what can be routed.

        Waiting calls keep their order. An offer in flight died with the old process: its call waits
        again at its place and the agent is ready. Talking calls and wrap-ups carry on.
        """
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise AcdError(f"unsupported snapshot version {snapshot.get('version')!r}")
        if self._calls:
            raise AcdError("restore needs a core without calls")
        now = self.clock()
        fx = Effects()
        self._seq = int(snapshot["seq"])
        for queue, seconds in snapshot.get("handle_seconds", {}).items():
            if queue in self._handle:
                self._handle[queue].mean_seconds = float(seconds)
        for record in snapshot["calls"]:
            if record["queue"] not in self._queues:
                raise UnknownQueue(record["queue"])
            call = Call(
                call_id=record["call_id"], queue=record["queue"], priority=int(record["priority"]),
                skills=tuple((str(s), int(v)) for s, v in record["skills"]),
                enter_time=float(record["enter_time"]), seq=int(record["seq"]), tier=record["tier"],
                customer_id=record["customer_id"], customer_code=record["customer_code"],
                intent=record["intent"], ani=record["ani"],
                ivr_data=tuple((str(k), str(v)) for k, v in record["ivr_data"]),
                unidentified=bool(record["unidentified"]), callback_number=record["callback_number"],
                consult_of=record.get("consult_of"),  # a pin dies with its offer in flight
                held_since=record.get("held_since"), held_seconds=float(record.get("held_seconds", 0.0)),
            )
            self._calls[call.call_id] = call
            if record["status"] == CallStatus.CONNECTED:
                call.status = CallStatus.CONNECTED
                call.agent_id = record["agent_id"]
                call.connected_at = record["connected_at"]
            else:
                self._place(call, now, fx)  # no agent is ready yet, so this only queues
        freeing = []
        for record in snapshot["agents"]:
            agent = self._agent(record["agent_id"])
            s = agent.status
            state = AgentState(record["state"])
            s.reason, s.pending_pause = record["reason"], record["pending_pause"]
            s.since = float(record["since"])
            if state is AgentState.ON_CALL and record["call_id"] in self._calls:
                s.state, s.call_id = state, record["call_id"]
            elif state is AgentState.WRAP_UP:
                s.state, s.wrap_up_until = state, float(record["wrap_up_until"])
                heapq.heappush(self._wrap_ups, (s.wrap_up_until, agent.config.id))
            elif state in (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL):
                s.state = AgentState.NOT_READY
                freeing.append(agent)
            else:
                s.state = state
        for agent in sorted(freeing, key=lambda a: (a.status.since, a.config.id)):
            agent.status.reason = None
            self._free(agent, fx)
        return fx

    # -------------------------------------------------------------- internals

    def _agent(self, agent_id: str) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _call(self, call_id: str, status: CallStatus) -> Call:
        call = self.call(call_id)
        if call.status is not status:
            raise WrongCallState(f"call {call_id} is {call.status}, not {status}")
        return call

    def _check_reason(self, reason: str | None, *, allow_none: bool = False) -> None:
        if reason is None and allow_none:
            return
        if reason not in self.config.pause_reasons:
            raise UnknownPauseReason(f"{reason!r} is not a pause reason ({sorted(self.config.pause_reasons)})")

    def _order(self, call: Call) -> tuple[float, float, int]:
        return (self._neg_key(call), call.enter_time, call.seq)

    def _neg_key(self, call: Call) -> float:
        return self.weights.aging * call.enter_time - self.weights.priority * call.priority

    def _staffed(self, queue: str) -> int:
        busy_or_free = (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)
        return sum(1 for a in self._members[queue] if self._agents[a].status.state in busy_or_free)

    def _queued_event(self, call: Call, now: float) -> CallQueued:
        return CallQueued(
            at=now, call_id=call.call_id, queue=call.queue, priority=call.priority, enter_time=call.enter_time,
            customer_id=call.customer_id, customer_code=call.customer_code, tier=call.tier,
            intent=call.intent, ani=call.ani, required_skills=call.skills, unidentified=call.unidentified,
            callback=call.callback_number is not None, consult_of=call.consult_of,
        )

    def _move(self, agent: _Agent, to: AgentState, fx: Effects, reason: str | None = None,
              call_id: str | None = None) -> None:
        s = agent.status
        now = self.clock()
        previous = s.move(to, now, reason)
        if call_id is not None:
            s.call_id = call_id
        if agent.indexed:
            agent.indexed = False
            for q in agent.queues:
                self._ready[q].leave()
                for skill in agent.skills:
                    self._ready_with[(q, skill)].leave()
        fx.events.append(AgentStateChanged(at=now, agent_id=s.agent_id, state=to.value, previous=previous.value,
                                           reason=s.reason, call_id=s.call_id))

    def _group(self, queue: str, requirement: Requirement) -> _Group:
        group = self._groups.get((queue, requirement))
        if group is None:
            group = self._groups[(queue, requirement)] = _Group(queue, requirement)
        return group

    def _candidates(self, queue: str, requirement: Requirement) -> list[_Agent]:
        """Members of ``queue`` who may be eligible: those with the requirement's rarest skill."""
        if not requirement:
            return [self._agents[a] for a in self._members[queue]]
        return min((self._members_with.get((queue, skill), []) for skill, _ in requirement), key=len)

    def _link(self, group: _Group) -> None:
        """Make every eligible agent hold ``group`` (it has calls again after agents dropped it)."""
        for agent in self._candidates(group.queue, group.requirement):
            if agent not in group.linked:
                match = agent.match(group.requirement)
                if match is not None:
                    agent.groups[group] = self.weights.match * match
                    group.linked.add(agent)
        group.complete = True

    def _best_ready(self, queue: str, requirement: Requirement) -> _AgentEntry | None:
        """The ready member of ``queue`` meeting ``requirement`` with the best match, then longest idle."""
        if not requirement:
            return self._ready[queue].head()
        if len(requirement) == 1:
            skill, minimum = requirement[0]
            heap = self._ready_with.get((queue, skill))
            head = heap.head() if heap is not None else None
            return head if head is not None and -head[0] >= minimum else None
        heaps = [self._ready_with.get((queue, skill)) for skill, _ in requirement]
        if any(h is None or not h.live for h in heaps):
            return None
        rarest = min((h for h in heaps if h is not None), key=lambda h: h.live)
        best: _AgentEntry | None = None
        for entry in rarest.entries:
            agent = entry[4]
            if not agent.indexed or agent.ready_epoch != entry[3]:
                continue
            match = agent.match(requirement)
            if match is not None:
                rank = (-match, entry[1], entry[2], entry[3], agent)
                if best is None or rank[:3] < best[:3]:
                    best = rank
        return best

    def _escalate(self, call: Call, now: float) -> None:
        """Apply every escalation step due by ``now``; schedule the next one."""
        steps = self._queues[call.queue].escalation
        waited = now - call.enter_time
        while call.escalations < len(steps) and steps[call.escalations].after <= waited:
            call.escalations += 1
        needs: dict[str, int] = dict(call.skills)
        queues = [call.queue]
        for step in steps[:call.escalations]:
            for skill in step.drop:
                needs.pop(skill, None)
            for skill, level in step.lower:
                if skill in needs:
                    needs[skill] = min(needs[skill], level)
            queues.extend(q for q in step.overflow if q not in queues)
        call.requirement = tuple(sorted(needs.items()))
        call.queues = tuple(queues)
        if call.escalations < len(steps):
            due = call.enter_time + steps[call.escalations].after
            self._pushes += 1
            heapq.heappush(self._escalations, (due, call.seq, call.escalations, self._pushes, call))

    def _place(self, call: Call, now: float, fx: Effects) -> None:
        """Give a call that needs an agent to the best ready eligible agent, or make it wait."""
        self._escalate(call, now)
        groups = [self._group(q, call.requirement) for q in call.queues]
        best: _AgentEntry | None = None
        for q in call.queues:
            head = self._best_ready(q, call.requirement)
            if head is not None and (best is None or head[:3] < best[:3]):
                best = head
        if best is not None:
            self._offer(call, best[4], now, fx)
            return
        call.status = CallStatus.WAITING
        call.agent_id = None
        self._waiting[call.queue][call.call_id] = call
        entry = (self._neg_key(call), call.enter_time, call.seq, call.token, call)
        for group in groups:
            group.add(entry)
            if not group.complete:
                self._link(group)
        call.groups = groups

    def _unplace(self, call: Call) -> None:
        call.token += 1
        for group in call.groups:
            group.left()
        call.groups = []
        self._waiting[call.queue].pop(call.call_id, None)

    def _forget(self, call: Call) -> None:
        self._unplace(call)
        del self._calls[call.call_id]

    def _free(self, agent: _Agent, fx: Effects) -> None:
        """The agent is free: offer it the best call it is eligible for, or index it as ready."""
        if agent.status.state is not AgentState.READY:
            self._move(agent, AgentState.READY, fx)
        # The hottest loop of routing: compare scores as floats and build a tie-break tuple only on a tie.
        best_key = 0.0
        best: _Group | None = None
        empty: list[_Group] | None = None
        for group, bonus in agent.groups.items():
            top = group.top
            if top is None:
                if empty is None:
                    empty = []
                empty.append(group)
                continue
            key = top - bonus
            if best is None or key < best_key or (key == best_key and group.calls[0][1:3] < best.calls[0][1:3]):
                best_key, best = key, group
        if empty is not None:  # forget groups without calls; _link brings them back when calls return
            for group in empty:
                del agent.groups[group]
                group.linked.discard(agent)
                group.complete = False
        now = self.clock()
        if best is not None:
            best_call = best.calls[0][4]
            self._unplace(best_call)
            self._offer(best_call, agent, now, fx)
            return
        agent.ready_epoch += 1
        agent.indexed = True
        for q in agent.queues:
            self._ready[q].push(0, agent)
            for skill, level in agent.skills.items():
                self._ready_with[(q, skill)].push(level, agent)

    def _offer(self, call: Call, agent: _Agent, now: float, fx: Effects) -> None:
        call.status = CallStatus.OFFERED
        call.agent_id = agent.config.id
        self._move(agent, AgentState.RESERVED, fx, call_id=call.call_id)
        interface = agent.config.phone
        if call.callback_number is not None:
            fx.decisions.append(OriginateCallback(call.call_id, call.queue, agent.config.id, interface,
                                                  call.callback_number))
        else:
            fx.decisions.append(Offer(call.call_id, call.queue, agent.config.id, interface,
                                      now - call.enter_time))
        fx.events.append(CallOffered(
            at=now, call_id=call.call_id, queue=call.queue, agent_id=agent.config.id,
            customer_id=call.customer_id, customer_code=call.customer_code, tier=call.tier,
            intent=call.intent, ani=call.ani, ivr_data=call.ivr_data, wait_seconds=now - call.enter_time,
            consult_of=call.consult_of,
        ))

    def _return_offer(self, call: Call, agent: _Agent, reason: str, fx: Effects) -> None:
        """The offered agent will not take the call: it waits in its queue again, no longer pinned; a
        consultation pinned to that agent ends instead (the consulting agent goes back to their caller)."""
        now = self.clock()
        agent.status.call_id = None
        fx.events.append(CallOfferFailed(at=now, call_id=call.call_id, queue=call.queue,
                                         agent_id=agent.config.id, reason=reason))
        if call.pinned is not None and call.consult_of is not None:
            del self._calls[call.call_id]
            return
        call.pinned = None
        fx.events.append(self._queued_event(call, now))
        self._place(call, now, fx)

    def _after_call(self, agent: _Agent, *, wrap_up: float, fx: Effects) -> None:
        if wrap_up > 0 and agent.status.state is AgentState.ON_CALL:
            self._move(agent, AgentState.WRAP_UP, fx)
            until = self.clock() + wrap_up
            agent.status.wrap_up_until = until
            heapq.heappush(self._wrap_ups, (until, agent.config.id))
        else:
            self._end_wrap_up(agent, fx)

    def _end_wrap_up(self, agent: _Agent, fx: Effects) -> None:
        pending = agent.status.pending_pause
        agent.status.pending_pause = None
        if pending is not None:
            self._move(agent, AgentState.NOT_READY, fx, pending)
        else:
            self._free(agent, fx)


def _requirement(skills: Mapping[str, int]) -> Requirement:
    for skill, level in skills.items():
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"minimum level of {skill!r} must be {MIN_LEVEL}-{MAX_LEVEL}, got {level}")
    return tuple(sorted(skills.items()))

"""The routing index of the ACD core: where calls wait, who is ready, and who gets what (no I/O).

Routing keeps one invariant after every change: no ready agent is eligible for any waiting call. So
work is only needed where something changed: a call arriving (or returning, or escalating) looks at
the ready agents eligible for it (:meth:`Router.place`); an agent freeing up looks at the calls it is
eligible for (:meth:`Router.take_call`).

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

import heapq
from collections.abc import Iterable, Mapping

from acd.agents import AgentStatus
from acd.calls import Call, CallStatus, Requirement
from acd.config import AgentConfig, QueueConfig, RoutingWeights

# Heap entries. Calls: (-key, enter_time, seq, token, call). Ready agents: (-level, since, id, epoch, agent).
_CallEntry = tuple[float, float, int, int, Call]
_AgentEntry = tuple[int, float, str, int, "RoutedAgent"]


class RoutedAgent:
    """An agent as routing sees it: its status, skills and queues, and the groups it may take calls from."""

    __slots__ = ("config", "groups", "indexed", "queues", "ready_epoch", "skills", "status")

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.skills = dict(config.skills)
        self.queues = frozenset(config.queues)
        self.status = AgentStatus(config.id)
        # Groups with calls it is eligible for, each with the score bonus of its skill match there.
        self.groups: dict[Group, float] = {}
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


class _ReadyHeap:
    """Ready agents by (-level, idle since, id); entries of agents no longer ready are dropped lazily."""

    __slots__ = ("entries", "live")

    def __init__(self) -> None:
        self.entries: list[_AgentEntry] = []
        self.live = 0

    def push(self, level: int, agent: RoutedAgent) -> None:
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


class Group:
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
        self.linked: set[RoutedAgent] = set()  # agents holding this group in their ``groups``
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


class Router:
    """Waiting calls and ready agents of one tenant's queues, indexed so that either side finds its best
    match without scanning the other."""

    def __init__(self, queues: Mapping[str, QueueConfig], weights: RoutingWeights) -> None:
        self.weights = weights
        self._queues = queues
        #: Waiting calls by home queue, then call id.
        self.queued: dict[str, dict[str, Call]] = {q: {} for q in queues}
        self._members: dict[str, dict[str, RoutedAgent]] = {q: {} for q in queues}
        self._members_with: dict[tuple[str, str], list[RoutedAgent]] = {}  # (queue, skill) -> members with it
        self._groups: dict[tuple[str, Requirement], Group] = {}
        self._ready: dict[str, _ReadyHeap] = {q: _ReadyHeap() for q in queues}
        self._ready_with: dict[tuple[str, str], _ReadyHeap] = {}

    def add_agent(self, agent: RoutedAgent) -> None:
        """Index a new (logged out) member of its queues."""
        for q in agent.queues:
            self._members[q][agent.config.id] = agent
            for skill in agent.skills:
                self._members_with.setdefault((q, skill), []).append(agent)
                self._ready_with.setdefault((q, skill), _ReadyHeap())
        # Calls already waiting are the new agent's too: link it to their groups now (marking them
        # incomplete alone would wait for the next call of the group).
        for group in self._groups.values():
            if group.queue in agent.queues and group.live_calls:
                match = agent.match(group.requirement)
                if match is not None:
                    agent.groups[group] = self.weights.match * match
                    group.linked.add(agent)
            else:
                group.complete = group.complete and group.queue not in agent.queues

    def remove_agent(self, agent: RoutedAgent) -> None:
        """Forget a logged-out agent (its entries in the ready heaps are stale already)."""
        for q in agent.queues:
            del self._members[q][agent.config.id]
            for skill in agent.skills:
                self._members_with[(q, skill)].remove(agent)
        for group in agent.groups:
            group.linked.discard(agent)
        agent.groups.clear()

    def members(self, queue: str) -> Iterable[RoutedAgent]:
        return self._members[queue].values()

    # ------------------------------------------------------------------ calls

    def escalate(self, call: Call, now: float) -> float | None:
        """Apply every escalation step of the call's queue due by ``now``; when its next step is due."""
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
            return call.enter_time + steps[call.escalations].after
        return None

    def place(self, call: Call) -> RoutedAgent | None:
        """The best ready agent eligible for an escalated call; when there is none, the call waits."""
        groups = [self._group(q, call.requirement) for q in call.queues]
        best: _AgentEntry | None = None
        for q in call.queues:
            head = self._best_ready(q, call.requirement)
            if head is not None and (best is None or head[:3] < best[:3]):
                best = head
        if best is not None:
            return best[4]
        call.status = CallStatus.WAITING
        call.agent_id = None
        self.queued[call.queue][call.call_id] = call
        entry = (self._neg_key(call), call.enter_time, call.seq, call.token, call)
        for group in groups:
            group.add(entry)
            if not group.complete:
                self._link(group)
        call.groups = groups
        return None

    def unplace(self, call: Call) -> None:
        """The call no longer waits (offered, or gone)."""
        call.token += 1
        for group in call.groups:
            group.left()
        call.groups = []
        self.queued[call.queue].pop(call.call_id, None)

    def in_order(self, queue: str) -> list[Call]:
        """The waiting calls of ``queue`` in the order they would be served (by the aging score now)."""
        return sorted(self.queued[queue].values(), key=self._order)

    def position(self, call: Call) -> int:
        """1-based place of a waiting call in its home queue by the routing score (1 = next)."""
        mine = self._order(call)
        return 1 + sum(1 for c in self.queued[call.queue].values() if self._order(c) < mine)

    # ----------------------------------------------------------------- agents

    def take_call(self, agent: RoutedAgent) -> Call | None:
        """The best waiting call a ready agent is eligible for, taken out of the queues; when there is
        none, the agent is indexed as ready."""
        # The hottest loop of routing: compare scores as floats and build a tie-break tuple only on a tie.
        best_key = 0.0
        best: Group | None = None
        empty: list[Group] | None = None
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
        if best is not None:
            best_call = best.calls[0][4]
            self.unplace(best_call)
            return best_call
        agent.ready_epoch += 1
        agent.indexed = True
        for q in agent.queues:
            self._ready[q].push(0, agent)
            for skill, level in agent.skills.items():
                self._ready_with[(q, skill)].push(level, agent)
        return None

    def unindex(self, agent: RoutedAgent) -> None:
        """The agent is no longer ready: its entries in the ready heaps go stale."""
        agent.indexed = False
        for q in agent.queues:
            self._ready[q].leave()
            for skill in agent.skills:
                self._ready_with[(q, skill)].leave()

    # -------------------------------------------------------------- internals

    def _order(self, call: Call) -> tuple[float, float, int]:
        return (self._neg_key(call), call.enter_time, call.seq)

    def _neg_key(self, call: Call) -> float:
        return self.weights.aging * call.enter_time - self.weights.priority * call.priority

    def _group(self, queue: str, requirement: Requirement) -> Group:
        group = self._groups.get((queue, requirement))
        if group is None:
            group = self._groups[(queue, requirement)] = Group(queue, requirement)
        return group

    def _candidates(self, queue: str, requirement: Requirement) -> Iterable[RoutedAgent]:
        """Members of ``queue`` who may be eligible: those with the requirement's rarest skill."""
        if not requirement:
            return self._members[queue].values()
        return min((self._members_with.get((queue, skill), []) for skill, _ in requirement), key=len)

    def _link(self, group: Group) -> None:
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

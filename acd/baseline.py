"""A naive router with the core's routing rules and no indexes: every decision scans all calls or agents.

It is the yardstick of ``callcenter bench acd`` and the oracle of the router's tests. It knows queues,
skills, priority, aging and skill match, not escalation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from acd.config import RoutingWeights


@dataclasses.dataclass(slots=True)
class NaiveCall:
    call_id: str
    queue: str
    priority: int
    requirement: tuple[tuple[str, int], ...]
    enter_time: float
    seq: int


@dataclasses.dataclass(slots=True)
class NaiveAgent:
    agent_id: str
    skills: Mapping[str, int]
    queues: frozenset[str]
    ready_since: float | None = None  # None: not ready


def _match(skills: Mapping[str, int], requirement: tuple[tuple[str, int], ...]) -> int | None:
    total = 0
    for skill, minimum in requirement:
        level = skills.get(skill, 0)
        if level < minimum:
            return None
        total += level
    return total


class NaiveRouter:
    """Waiting calls and ready agents in plain dicts; decisions by full scans."""

    def __init__(self, weights: RoutingWeights) -> None:
        self.weights = weights
        self.calls: dict[str, NaiveCall] = {}
        self.agents: dict[str, NaiveAgent] = {}
        self._seq = 0

    def add_agent(self, agent_id: str, skills: Mapping[str, int], queues: frozenset[str]) -> None:
        self.agents[agent_id] = NaiveAgent(agent_id, dict(skills), queues)

    def call_arrives(self, call_id: str, queue: str, priority: int,
                     requirement: tuple[tuple[str, int], ...], now: float) -> str | None:
        """Offer the call to the best ready agent (returned, and no longer ready), or keep it waiting."""
        self._seq += 1
        best: tuple[int, float, str] | None = None
        for agent in self.agents.values():
            if agent.ready_since is None or queue not in agent.queues:
                continue
            match = _match(agent.skills, requirement)
            if match is not None:
                rank = (-match, agent.ready_since, agent.agent_id)
                if best is None or rank < best:
                    best = rank
        if best is None:
            self.calls[call_id] = NaiveCall(call_id, queue, priority, requirement, now, self._seq)
            return None
        self.agents[best[2]].ready_since = None
        return best[2]

    def agent_free(self, agent_id: str, now: float) -> str | None:
        """Give the agent the best waiting call it may take (returned and removed), or mark it ready."""
        agent = self.agents[agent_id]
        w = self.weights
        best: tuple[float, float, int] | None = None
        best_id = ""
        for call in self.calls.values():
            if call.queue not in agent.queues:
                continue
            match = _match(agent.skills, call.requirement)
            if match is None:
                continue
            rank = (w.aging * call.enter_time - w.priority * call.priority - w.match * match,
                    call.enter_time, call.seq)
            if best is None or rank < best:
                best, best_id = rank, call.call_id
        if best is None:
            agent.ready_since = now
            return None
        del self.calls[best_id]
        return best_id

    def agent_busy(self, agent_id: str) -> None:
        """The agent left ready for any reason other than an offer."""
        self.agents[agent_id].ready_since = None

    def call_gone(self, call_id: str) -> None:
        self.calls.pop(call_id, None)

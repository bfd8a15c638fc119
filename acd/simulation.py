"""Discrete-event simulation of one queue driven through the real ACD core on a simulated clock.

Poisson arrivals, exponential talk times, optional exponential caller patience and ring time: the
core makes every routing decision, so the figures show what this ACD would do with that staffing
("what if we had 5 more agents?").
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Callable

from acd.config import AcdConfig, AgentConfig, QueueConfig
from acd.core import Acd
from acd.decisions import Effects, Offer

QUEUE = "sim"


@dataclasses.dataclass(frozen=True, slots=True)
class SimulationSpec:
    """The scenario: traffic, staffing, run length (seconds of simulated time) and seed."""

    calls_per_hour: float
    handle_seconds: float
    agents: int
    duration_seconds: float
    warmup_seconds: float = 3600.0
    seed: int = 1
    service_level_seconds: float = 20.0
    wrap_up_seconds: float = 0.0
    patience_seconds: float | None = None  # mean caller patience; None: callers never hang up
    ring_seconds: float = 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class SimulationReport:
    """Outcomes of the calls that arrived after the warm-up."""

    offered: int
    answered: int
    abandoned: int
    answered_in_time: int
    service_level: float  # answered within the target, over answered plus abandoned
    average_speed_of_answer: float
    longest_wait: float


class _Run:
    def __init__(self, spec: SimulationSpec) -> None:
        self.spec = spec
        self.now = 0.0
        self.rng = random.Random(spec.seed)
        self._events: list[tuple[float, int, str, str]] = []
        self._pushes = 0
        queue = QueueConfig(name=QUEUE, wrap_up_seconds=spec.wrap_up_seconds,
                            expected_handle_seconds=spec.handle_seconds + spec.wrap_up_seconds)
        agents = tuple(AgentConfig(id=f"a{i:04d}", phone=f"Local/{i}@sim", queues=(QUEUE,))
                       for i in range(spec.agents))
        self.acd = Acd(AcdConfig(queues=(queue,), agents=agents), self._clock)
        self.arrived: dict[str, float] = {}
        self.waits: dict[str, float] = {}
        self.abandoned: set[str] = set()

    def _clock(self) -> float:
        return self.now

    def _at(self, when: float, kind: str, call_id: str = "") -> None:
        self._pushes += 1
        heapq.heappush(self._events, (when, self._pushes, kind, call_id))

    def _apply(self, fx: Effects) -> None:
        for decision in fx.decisions:
            if isinstance(decision, Offer):
                self._at(self.now + self.spec.ring_seconds, "answer", decision.call_id)

    def run(self) -> SimulationReport:
        spec = self.spec
        rate = spec.calls_per_hour / 3600.0
        for agent in self.acd.agents():
            self._apply(self.acd.login(agent.agent_id, ready=True))
        self._at(self.rng.expovariate(rate), "arrival")
        handlers: dict[str, Callable[[str], None]] = {
            "arrival": self._arrival, "answer": self._answer, "end": self._end, "patience": self._patience,
        }
        calls = 0
        while self._events:
            deadline = self.acd.next_deadline()
            when, _, kind, call_id = self._events[0]
            if deadline is not None and deadline <= when:
                self.now = deadline
                self._apply(self.acd.tick())
                continue
            heapq.heappop(self._events)
            self.now = when
            if kind == "arrival":
                calls += 1
                call_id = f"c{calls}"
            handlers[kind](call_id)
        counted = [c for c, t in self.arrived.items() if t >= spec.warmup_seconds]
        waits = [self.waits[c] for c in counted if c in self.waits]
        in_time = sum(1 for w in waits if w <= spec.service_level_seconds)
        abandoned = sum(1 for c in counted if c in self.abandoned)
        judged = len(waits) + abandoned
        return SimulationReport(
            offered=len(counted), answered=len(waits), abandoned=abandoned, answered_in_time=in_time,
            service_level=in_time / judged if judged else 1.0,
            average_speed_of_answer=sum(waits) / len(waits) if waits else 0.0,
            longest_wait=max(waits, default=0.0),
        )

    def _arrival(self, call_id: str) -> None:
        spec = self.spec
        self.arrived[call_id] = self.now
        self._apply(self.acd.enqueue(call_id, QUEUE))
        if spec.patience_seconds is not None:
            self._at(self.now + self.rng.expovariate(1.0 / spec.patience_seconds), "patience", call_id)
        following = self.now + self.rng.expovariate(spec.calls_per_hour / 3600.0)
        if following < spec.duration_seconds:
            self._at(following, "arrival")

    def _answer(self, call_id: str) -> None:
        self.waits[call_id] = self.now - self.arrived[call_id]
        self._apply(self.acd.answered(call_id))
        self._at(self.now + self.rng.expovariate(1.0 / self.spec.handle_seconds), "end", call_id)

    def _end(self, call_id: str) -> None:
        self._apply(self.acd.hangup(call_id))

    def _patience(self, call_id: str) -> None:
        if call_id not in self.waits:
            self.abandoned.add(call_id)
            self._apply(self.acd.hangup(call_id))


def simulate(spec: SimulationSpec) -> SimulationReport:
    """Run the scenario to the end (arrivals stop at ``duration_seconds``; calls in progress finish)."""
    return _Run(spec).run()

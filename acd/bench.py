"""``callcenter bench acd``: routing decisions per second and latency, indexed router against a naive scan.

The scenario: ``agents`` agents with 3-6 of ``skills`` skills at levels 1-10, each in 2 of 10 queues;
``waiting`` calls wait (one skill with a minimum level 1-5, a third of them also one of 10 language
skills), priorities 0-3. Each measured decision is an agent ending its wrap-up and the router picking
its next call; after it, the offer is answered, another agent's call ends and a new call arrives, so
the waiting count stays put. The baseline replays the same kind of decisions over the same calls.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from acd.baseline import NaiveRouter
from acd.config import AcdConfig, AgentConfig, QueueConfig, RoutingWeights
from acd.core import Acd
from acd.decisions import Offer

QUEUES = 10
LANGUAGES = 10


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class _Scenario:
    def __init__(self, agents: int, skills: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.skills = [f"s{i:03d}" for i in range(skills)]
        self.queues = [f"q{i}" for i in range(QUEUES)]
        self.agents = []
        for i in range(agents):
            own = self.rng.sample(self.skills, min(len(self.skills), self.rng.randint(3, 6)))
            self.agents.append(AgentConfig(
                id=f"a{i:05d}", phone=f"PJSIP/{1000 + i}",
                skills=tuple(sorted((s, self.rng.randint(1, 10)) for s in own)),
                queues=tuple(self.rng.sample(self.queues, 2)),
            ))
        self.calls = 0

    def call(self) -> tuple[str, str, int, dict[str, int]]:
        self.calls += 1
        needs = {self.rng.choice(self.skills): self.rng.randint(1, 5)}
        if self.rng.random() < 1 / 3:
            needs.setdefault(self.skills[self.rng.randrange(min(LANGUAGES, len(self.skills)))], 1)
        return f"c{self.calls}", self.rng.choice(self.queues), self.rng.randint(0, 3), needs


def _summary(latencies_ns: list[int]) -> tuple[float, float, float]:
    """decisions/s, p50 ms, p99 ms."""
    total = sum(latencies_ns) or 1
    cuts = statistics.quantiles(latencies_ns, n=100) if len(latencies_ns) > 1 else latencies_ns * 99
    return len(latencies_ns) / (total / 1e9), cuts[49] / 1e6, cuts[98] / 1e6


def _bench_router(scenario: _Scenario, waiting: int, decisions: int) -> dict[str, float]:
    clock = _Clock()
    weights = RoutingWeights()
    queues = tuple(QueueConfig(name=q, wrap_up_seconds=5.0) for q in scenario.queues)
    acd = Acd(AcdConfig(queues=queues, agents=tuple(scenario.agents), skills=tuple(scenario.skills),
                        weights=weights), clock)
    on_call: list[str] = []
    agent_of: dict[str, str] = {}

    def carry_out(decisions_: list[Any]) -> None:
        for d in decisions_:
            if isinstance(d, Offer):
                acd.answered(d.call_id)
                on_call.append(d.call_id)
                agent_of[d.call_id] = d.agent_id

    def arrive() -> int:
        call_id, queue, priority, needs = scenario.call()
        started = time.perf_counter_ns()
        fx = acd.enqueue(call_id, queue, priority=priority, skills=needs)
        elapsed = time.perf_counter_ns() - started
        carry_out(fx.decisions)
        return elapsed

    for a in scenario.agents:
        carry_out(acd.login(a.id, ready=True).decisions)
    total_waiting = sum(acd.waiting(q) for q in scenario.queues)
    while total_waiting < waiting:
        clock.now += 0.001
        arrive()
        total_waiting = sum(acd.waiting(q) for q in scenario.queues)
    ready_ns: list[int] = []
    arrival_ns: list[int] = []
    rng = scenario.rng
    for _ in range(decisions):
        clock.now += 0.01
        if not on_call:
            break
        i = rng.randrange(len(on_call))
        on_call[i], on_call[-1] = on_call[-1], on_call[i]
        call_id = on_call.pop()
        agent_id = agent_of.pop(call_id)
        acd.hangup(call_id)  # the agent goes to wrap-up
        started = time.perf_counter_ns()
        fx = acd.ready(agent_id)  # wrap-up ends: the routing decision we time
        ready_ns.append(time.perf_counter_ns() - started)
        carry_out(fx.decisions)
        arrival_ns.append(arrive())
    rate, p50, p99 = _summary(ready_ns)
    arrival_rate, _, arrival_p99 = _summary(arrival_ns)
    return {"decisions_per_s": rate, "p50_ms": p50, "p99_ms": p99, "arrival_decisions_per_s": arrival_rate,
            "arrival_p99_ms": arrival_p99, "waiting_at_end": float(sum(acd.waiting(q) for q in scenario.queues))}


def _bench_baseline(scenario: _Scenario, waiting: int, decisions: int) -> dict[str, float]:
    router = NaiveRouter(RoutingWeights())
    now = 1_000_000.0
    for a in scenario.agents:
        router.add_agent(a.id, dict(a.skills), frozenset(a.queues))
    busy: list[str] = [a.id for a in scenario.agents]  # every agent starts on a call, as in the router run
    while len(router.calls) < waiting:
        now += 0.001
        call_id, queue, priority, needs = scenario.call()
        router.call_arrives(call_id, queue, priority, tuple(sorted(needs.items())), now)
    latencies: list[int] = []
    rng = scenario.rng
    for _ in range(decisions):
        now += 0.01
        i = rng.randrange(len(busy))
        busy[i], busy[-1] = busy[-1], busy[i]
        agent_id = busy.pop()
        started = time.perf_counter_ns()
        taken = router.agent_free(agent_id, now)
        latencies.append(time.perf_counter_ns() - started)
        if taken is not None:
            busy.append(agent_id)
        call_id, queue, priority, needs = scenario.call()
        given = router.call_arrives(call_id, queue, priority, tuple(sorted(needs.items())), now)
        if given is not None:
            busy.append(given)
        if not busy:
            break
    rate, p50, p99 = _summary(latencies)
    return {"decisions_per_s": rate, "p50_ms": p50, "p99_ms": p99}


def run_bench(*, agents: int, skills: int, waiting: int, decisions: int, baseline_decisions: int,
              seed: int = 7) -> dict[str, Any]:
    """Run both routers on the same kind of scenario; returns the figures of the closing JSON line."""
    ours = _bench_router(_Scenario(agents, skills, seed), waiting, decisions)
    naive = _bench_baseline(_Scenario(agents, skills, seed), waiting, baseline_decisions)
    return {
        "bench": "acd", "agents": agents, "skills": skills, "waiting": waiting,
        "decisions": decisions,
        "decisions_per_s": round(ours["decisions_per_s"]),
        "p50_ms": round(ours["p50_ms"], 4), "p99_ms": round(ours["p99_ms"], 4),
        "arrival_decisions_per_s": round(ours["arrival_decisions_per_s"]),
        "arrival_p99_ms": round(ours["arrival_p99_ms"], 4),
        "waiting_at_end": int(ours["waiting_at_end"]),
        "baseline_decisions": baseline_decisions,
        "baseline_decisions_per_s": round(naive["decisions_per_s"], 1),
        "baseline_p99_ms": round(naive["p99_ms"], 3),
        "ratio": round(ours["decisions_per_s"] / naive["decisions_per_s"], 1),
    }


def _handler(args: argparse.Namespace) -> int:
    result = run_bench(agents=args.agents, skills=args.skills, waiting=args.waiting, decisions=args.decisions,
                       baseline_decisions=args.baseline_decisions, seed=args.seed)
    print(json.dumps(result))
    return 0


def register(bench_subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callcenter bench acd``."""
    parser = bench_subparsers.add_parser("acd", help="ACD routing decisions/s and latency vs a naive scan")
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--skills", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=10000)
    parser.add_argument("--decisions", type=int, default=20000, help="timed decisions of our router")
    parser.add_argument("--baseline-decisions", type=int, default=300, help="timed decisions of the baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.set_defaults(func=_handler)

"""Invariants of the router under random traffic, and agreement with the naive full-scan router."""

from __future__ import annotations

from acd_helpers import FakeClock, agents, make_acd
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.agents import AgentState
from acd.baseline import NaiveRouter
from acd.calls import CallStatus
from acd.config import RoutingWeights
from acd.decisions import Offer, OriginateCallback

SKILLS = ("en", "fr", "de")
QUEUES = ("q1", "q2")

agent_specs = st.lists(
    st.tuples(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), max_size=3),
              st.lists(st.sampled_from(QUEUES), min_size=1, max_size=2, unique=True)),
    min_size=1, max_size=8)
requirements = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 6), max_size=2)
ops = st.lists(st.tuples(st.sampled_from(["call", "free", "answer", "end", "pause", "abandon", "miss",
                                          "callback", "logout", "wait"]),
                         st.integers(0, 1000), requirements, st.integers(0, 3)),
               min_size=10, max_size=80)


def _raw(specs, escalation: bool = False) -> dict:
    steps = [{"after": 20, "lower": {"en": 2, "fr": 2}}, {"after": 40, "drop": ["de"]},
             {"after": 60, "overflow": ["q2"]}] if escalation else []
    return {"queues": [{"name": "q1", "escalation": steps}, {"name": "q2"}],
            "agents": agents(*((f"a{i}", s, q) for i, (s, q) in enumerate(specs)))}


def _check_invariants(acd, config_agents) -> None:
    holders: dict[str, str] = {}
    for view in acd.agents():
        if view.state in (AgentState.RESERVED, AgentState.ON_CALL):
            assert view.call_id is not None
            assert view.call_id not in holders, "two agents hold one call"
            holders[view.call_id] = view.agent_id
        else:
            assert view.call_id is None, "an agent holds a call outside reserved/on_call"
    for call_id, agent_id in holders.items():
        call = acd.call(call_id)
        assert call.status in (CallStatus.OFFERED, CallStatus.CONNECTED) and call.agent_id == agent_id
        skills = dict(config_agents[agent_id].skills)
        assert all(skills.get(s, 0) >= m for s, m in call.requirement), "offered without the skills"
        assert set(config_agents[agent_id].queues) & set(call.queues)
    # No ready agent may be eligible for a waiting call (the router left work undone otherwise).
    ready = [config_agents[v.agent_id] for v in acd.agents() if v.state is AgentState.READY]
    for q in QUEUES:
        for call in acd.waiting_calls(q):
            for agent in ready:
                skills = dict(agent.skills)
                eligible = set(agent.queues) & set(call.queues) and \
                    all(skills.get(s, 0) >= m for s, m in call.requirement)
                assert not eligible, f"ready agent {agent.id} left waiting call {call.call_id}"


@settings(max_examples=200, deadline=None)
@given(agent_specs, ops, st.booleans())
def test_invariants_hold_under_any_traffic(specs, script, escalation) -> None:
    acd, clock = make_acd(_raw(specs, escalation))
    config_agents = {a.id: a for a in acd.config.agents}
    ids = sorted(config_agents)
    for agent_id in ids[1:]:
        acd.login(agent_id, ready=True)
    n = 0
    for op, pick, needs, priority in script:
        clock.advance(pick % 13)
        agent_id = ids[pick % len(ids)]
        state = acd.agent(agent_id).state
        live = [c for q in QUEUES for c in acd.waiting_calls(q)]
        held = [v.call_id for v in acd.agents() if v.call_id]
        if op == "call":
            n += 1
            acd.enqueue(f"c{n}", QUEUES[pick % 2], priority=priority, skills=needs)
        elif op == "free" and state in (AgentState.LOGGED_OUT, AgentState.NOT_READY):
            acd.login(agent_id, ready=True) if state is AgentState.LOGGED_OUT else acd.ready(agent_id)
        elif op == "pause" and state is not AgentState.LOGGED_OUT:
            acd.pause(agent_id, "break")
        elif op == "logout" and state not in (AgentState.ON_CALL, AgentState.LOGGED_OUT):
            acd.logout(agent_id)
        elif op in ("answer", "miss", "end") and held:
            call = acd.call(held[pick % len(held)])
            if op == "answer" and call.status is CallStatus.OFFERED:
                acd.answered(call.call_id)
            elif op == "miss" and call.status is CallStatus.OFFERED:
                acd.offer_failed(call.call_id, ("no_answer", "busy", "failed")[pick % 3])
            elif op == "end":
                acd.hangup(call.call_id)
        elif op == "abandon" and live:
            acd.hangup(live[pick % len(live)].call_id)
        elif op == "callback" and live:
            acd.request_callback(live[pick % len(live)].call_id, "+15550100")
        elif op == "wait":
            clock.advance(pick % 70)
            acd.tick()
        _check_invariants(acd, config_agents)


@settings(max_examples=200, deadline=None)
@given(agent_specs, ops)
def test_router_decides_like_the_naive_full_scan(specs, script) -> None:
    acd, clock = make_acd(_raw(specs))
    naive = NaiveRouter(RoutingWeights())
    for a in acd.config.agents:
        naive.add_agent(a.id, dict(a.skills), frozenset(a.queues))
    ids = sorted(naive.agents)
    for agent_id in ids[1:]:
        acd.login(agent_id, ready=True)
        naive.agent_free(agent_id, clock.now)
    n = 0

    def offered(fx) -> list[tuple[str, str]]:
        return [(d.call_id, d.agent_id) for d in fx.decisions if isinstance(d, Offer | OriginateCallback)]

    for op, pick, needs, priority in script:
        clock.advance(pick % 7)
        agent_id = ids[pick % len(ids)]
        state = acd.agent(agent_id).state
        if op == "call":
            n += 1
            call_id, queue = f"c{n}", QUEUES[pick % 2]
            got = offered(acd.enqueue(call_id, queue, priority=priority, skills=needs))
            want = naive.call_arrives(call_id, queue, priority, tuple(sorted(needs.items())), clock.now)
            assert got == ([(call_id, want)] if want else [])
        elif op == "free" and state in (AgentState.LOGGED_OUT, AgentState.NOT_READY):
            fx = acd.login(agent_id, ready=True) if state is AgentState.LOGGED_OUT else acd.ready(agent_id)
            want = naive.agent_free(agent_id, clock.now)
            assert offered(fx) == ([(want, agent_id)] if want else [])
        elif op == "pause" and state is AgentState.READY:
            acd.pause(agent_id, "break")
            naive.agent_busy(agent_id)
        elif op == "abandon" and naive.calls:
            call_id = sorted(naive.calls)[pick % len(naive.calls)]
            acd.hangup(call_id)
            naive.call_gone(call_id)
        elif op in ("answer", "end") and state in (AgentState.RESERVED, AgentState.ON_CALL):
            call_id = acd.agent(agent_id).call_id
            if state is AgentState.RESERVED:
                acd.answered(call_id)
            fx = acd.hangup(call_id)  # no wrap-up: the agent is free at once
            want = naive.agent_free(agent_id, clock.now)
            assert offered(fx) == ([(want, agent_id)] if want else [])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 50), min_size=2, max_size=15), st.lists(st.floats(0, 50), max_size=15))
def test_equal_calls_are_served_in_arrival_order(gaps, agent_gaps) -> None:
    acd, clock = make_acd({"queues": [{"name": "q1", "skills": {"en": 3}}],
                           "agents": agents(*((f"a{i}", {"en": 3 + i % 5}, ["q1"]) for i in range(8)))})
    served: list[str] = []
    events = sorted([(sum(gaps[:i + 1]), "call", i) for i in range(len(gaps))]
                    + [(sum(agent_gaps[:i + 1]), "agent", i) for i in range(len(agent_gaps))])
    start = clock.now
    free_agents = [f"a{i}" for i in range(8)]
    for at, kind, i in events:
        clock.now = start + at
        if kind == "call":
            fx = acd.enqueue(f"c{i:02d}", "q1")
        elif free_agents:
            agent = free_agents.pop()
            fx = acd.login(agent, ready=True)
        else:
            continue
        served += [d.call_id for d in fx.decisions]
    assert served == sorted(served)


def _low_priority_wait(aging: float, horizon: float) -> float | None:
    """One agent; high-priority calls arrive faster than it can serve; a low-priority call waits."""
    clock = FakeClock(0.0)
    acd, _ = make_acd({"acd": {"priority_weight": 60, "aging_weight": aging},
                       "queues": [{"name": "q1"}], "agents": agents(("a", {}, ["q1"]))}, clock)
    acd.login("a", ready=True)
    acd.enqueue("h0", "q1", priority=9)
    acd.enqueue("low", "q1", priority=0)
    t, n, talking = 0.0, 0, "h0"
    acd.answered(talking)
    while t < horizon:
        t += 10.0  # every 10 s: two high-priority calls arrive and the agent finishes one (rate 2x service)
        clock.now = t
        for _ in range(2):
            n += 1
            acd.enqueue(f"h{n}", "q1", priority=9)
        fx = acd.hangup(talking)
        talking = fx.decisions[0].call_id
        if talking == "low":
            return t
        acd.answered(talking)
    return None


@settings(max_examples=30, deadline=None)
@given(st.floats(0.2, 5.0))
def test_aging_bounds_the_wait_of_a_low_priority_call(aging) -> None:
    # With key priority*60 - aging*enter, calls arriving later than 9*60/aging seconds after "low" rank
    # behind it. Before that, at most 2 per 10 s arrive, and the agent serves one per 10 s.
    catch_up = 9 * 60 / aging
    bound = catch_up + 2 * (catch_up / 10 + 2) * 10
    wait = _low_priority_wait(aging, horizon=bound + 100)
    assert wait is not None and wait <= bound


def test_without_aging_a_low_priority_call_starves() -> None:
    assert _low_priority_wait(0.0, horizon=20_000) is None

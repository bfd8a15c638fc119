"""The wall during holds and consultations: a consultation is no customer call, so no queue figure moves for
it, while the agent grid shows who is busy with it and whose caller waits on hold."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferFailed,
    CallQueued,
    CallResumed,
    ConsultEnded,
    ConsultStarted,
)
from agent_desktop.wall import QueueTile, WallProjection
from bus.events import DomainEvent

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC).timestamp()


def wall_at(now: list[float]) -> WallProjection:
    return WallProjection(clock=lambda: now[0], queues=["support", "sales"], tz=dt.UTC)


def tile(wall: WallProjection, queue: str) -> QueueTile:
    return next(t for t in wall.snapshot().queues if t.queue == queue)


def customer_call(call_id: str, at: float, wait: float, agent: str = "a1") -> list[DomainEvent]:
    return [CallQueued(call_id=call_id, queue="support", priority=1, enter_time=at - wait, at=at - wait),
            CallOffered(call_id=call_id, queue="support", agent_id=agent, at=at),
            CallConnected(call_id=call_id, queue="support", agent_id=agent, wait_seconds=wait, at=at)]


def consultation(call_id: str, queue: str, at: float, outcome: str, colleague: str = "a2") -> list[DomainEvent]:
    """``call_id``'s agent consults ``queue``; the consultation waits 40 s, then goes as ``outcome`` says:
    completed, cancelled (while talking), failed (not answered) or abandoned (given up while waiting)."""
    consult_id = f"{call_id}-consult"
    events: list[DomainEvent] = [
        ConsultStarted(call_id=call_id, agent_id="a1", consult_id=consult_id, target_queue=queue, at=at),
        CallHeld(call_id=call_id, queue="support", agent_id="a1", at=at),
        CallQueued(call_id=consult_id, queue=queue, priority=1, enter_time=at, consult_of=call_id, at=at),
    ]
    if outcome == "abandoned":
        return [*events, CallAbandoned(call_id=consult_id, queue=queue, wait_seconds=40, at=at + 40),
                ConsultEnded(call_id=call_id, agent_id="a1", consult_id=consult_id, outcome="failed", at=at + 40)]
    events.append(CallOffered(call_id=consult_id, queue=queue, agent_id=colleague, consult_of=call_id, at=at + 40))
    if outcome == "failed":
        return [*events, CallOfferFailed(call_id=consult_id, queue=queue, agent_id=colleague, reason="no_answer",
                                         at=at + 55),
                ConsultEnded(call_id=call_id, agent_id="a1", consult_id=consult_id, outcome="failed", at=at + 55)]
    events.append(CallConnected(call_id=consult_id, queue=queue, agent_id=colleague, wait_seconds=40, at=at + 45))
    if outcome == "cancelled":
        return [*events, CallEnded(call_id=consult_id, queue=queue, agent_id=colleague, talk_seconds=5, at=at + 50),
                ConsultEnded(call_id=call_id, agent_id="a1", consult_id=consult_id, outcome="cancelled", at=at + 50),
                CallResumed(call_id=call_id, queue="support", agent_id="a1", held_seconds=50, at=at + 50)]
    return [*events,
            CallEnded(call_id=call_id, queue="support", agent_id="a1", talk_seconds=60, outcome="transferred",
                      at=at + 50),
            ConsultEnded(call_id=call_id, agent_id="a1", consult_id=consult_id, outcome="completed", at=at + 50),
            CallEnded(call_id=consult_id, queue=queue, agent_id=colleague, talk_seconds=90, at=at + 140)]


def test_a_consultation_waiting_in_a_queue_is_not_a_caller_waiting_and_never_counts() -> None:
    now = [NOON]
    wall = wall_at(now)
    for event in customer_call("c1", NOON, wait=5):
        wall.apply(event)
    for event in consultation("c1", "sales", NOON + 10, "completed")[:3]:  # queued in sales
        wall.apply(event)
    now[0] = NOON + 30
    sales = tile(wall, "sales")
    assert (sales.waiting, sales.longest_wait, sales.colours["longest_wait"]) == (0, 0, "ok")
    for event in consultation("c1", "sales", NOON + 10, "completed")[3:]:
        wall.apply(event)
    now[0] = NOON + 200
    sales, support = tile(wall, "sales"), tile(wall, "support")
    assert (sales.today.answered, sales.today.abandoned, sales.last_30_min.answered) == (0, 0, 0)
    assert (support.today.answered, support.today.asa) == (1, 5.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 120), st.sampled_from(["support", "sales"]),
                          st.sampled_from(["none", "completed", "cancelled", "failed", "abandoned"])),
                max_size=12))
def test_queue_figures_are_the_same_with_or_without_the_consultations(
    calls: list[tuple[float, str, str]]
) -> None:
    now = [NOON]
    with_consults, without = wall_at(now), wall_at(now)
    for n, (wait, queue, outcome) in enumerate(calls):
        at = NOON + 300 * n
        for event in customer_call(f"c{n}", at, wait):
            with_consults.apply(event)
            without.apply(event)
        if outcome != "none":
            for event in consultation(f"c{n}", queue, at + 10, outcome):
                with_consults.apply(event)
    now[0] = NOON + 300 * len(calls)
    for queue in ("support", "sales"):
        a, b = tile(with_consults, queue), tile(without, queue)
        assert (a.waiting, a.today, a.last_30_min, a.colours) == (b.waiting, b.today, b.last_30_min, b.colours)


def test_the_agent_grid_shows_the_colleague_busy_with_a_consultation_and_a_held_caller() -> None:
    now = [NOON]
    wall = wall_at(now)
    for agent in ("a1", "a2"):
        wall.apply(AgentStateChanged(agent_id=agent, state="ready", previous="logged_out", at=NOON - 60))
    events = customer_call("c1", NOON, wait=5) + consultation("c1", "sales", NOON + 10, "completed")
    for event in events[:8]:  # up to the colleague answering
        wall.apply(event)
    rows = {r.agent_id: r for r in wall.snapshot().agents}
    assert (rows["a1"].call_id, rows["a1"].held_since) == ("c1", NOON + 10)
    assert (rows["a2"].call_id, rows["a2"].queue, rows["a2"].held_since) == ("c1-consult", "sales", None)
    wall.apply(CallResumed(call_id="c1", queue="support", agent_id="a1", held_seconds=5, at=NOON + 15))
    assert next(r for r in wall.snapshot().agents if r.agent_id == "a1").held_since is None
    wall.apply(CallHeld(call_id="c1", queue="support", agent_id="a1", at=NOON + 20))
    wall.apply(AgentStateChanged(agent_id="a1", state="wrap_up", previous="on_call", call_id="c1", at=NOON + 30))
    assert next(r for r in wall.snapshot().agents if r.agent_id == "a1").held_since is None  # the talk is over


def test_a_hold_of_a_call_the_agent_is_not_on_is_ignored() -> None:
    now = [NOON]
    wall = wall_at(now)
    wall.apply(AgentStateChanged(agent_id="a1", state="on_call", previous="reserved", call_id="c1", at=NOON))
    version = wall.version
    wall.apply(CallHeld(call_id="c9", queue="support", agent_id="a1", at=NOON))
    assert wall.version == version
    assert wall.snapshot().agents[0].held_since is None

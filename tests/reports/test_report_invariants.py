"""Generated call histories with transfers, call-backs and abandons: per-queue figures add up to the totals,
no call counts twice, and a replay of the event log (through its JSON records) gives the live wall's numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.events import CallAbandoned, CallbackRequested, CallConnected, CallEnded, CallQueued
from agent_desktop.wall import QueueTargets, WallProjection
from bus.events import DomainEvent
from reports.definitions import KpiSettings
from reports.history import replay
from reports.tables import TOTAL, Period, queue_table

T0 = 1_764_576_000.0  # 2025-12-01 08:00 UTC: the whole history stays inside one day
QUEUES = ("billing", "sales", "support")
SETTINGS = KpiSettings(sl_seconds=20, short_abandon_seconds=5)
COUNTS = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "callbacks",
          "callbacks_answered", "transfers", "consultations", "attended_transfers")


@st.composite
def call_story(draw: st.DrawFn, call_id: str) -> list[DomainEvent]:
    """One customer call: abandoned, called back, or answered and maybe transferred (blind) once or more."""
    queue = draw(st.sampled_from(QUEUES))
    enter = T0 + draw(st.floats(0, 20_000))
    wait = draw(st.floats(0, 90))
    kind = draw(st.sampled_from(("abandon", "callback", "answer")))
    events: list[DomainEvent] = [CallQueued(at=enter, call_id=call_id, queue=queue, priority=0, enter_time=enter)]
    if kind == "abandon":
        return [*events, CallAbandoned(at=enter + wait, call_id=call_id, queue=queue, wait_seconds=wait)]
    if kind == "callback":
        events.append(CallbackRequested(at=enter + wait, call_id=call_id, queue=queue, number="1",
                                        enter_time=enter))
        if not draw(st.booleans()):
            return events
        wait += draw(st.floats(1, 600))
    now = enter + wait
    agent = draw(st.sampled_from(("a1", "a2", "a3")))
    events.append(CallConnected(at=now, call_id=call_id, queue=queue, agent_id=agent, wait_seconds=wait))
    for _ in range(draw(st.integers(0, 2))):  # blind transfers: ended, queued again, maybe lost, maybe taken
        talk = draw(st.floats(1, 300))
        now += talk
        events.append(CallEnded(at=now, call_id=call_id, queue=queue, agent_id=agent, talk_seconds=talk,
                                outcome="transferred"))
        queue = draw(st.sampled_from(QUEUES))
        now += 1
        events.append(CallQueued(at=now, call_id=call_id, queue=queue, priority=0, enter_time=now))
        again = draw(st.floats(0, 60))
        now += again
        if draw(st.booleans()):
            return [*events, CallAbandoned(at=now, call_id=call_id, queue=queue, wait_seconds=again)]
        agent = draw(st.sampled_from(("a1", "a2", "a3")))
        events.append(CallConnected(at=now, call_id=call_id, queue=queue, agent_id=agent, wait_seconds=again))
    talk = draw(st.floats(1, 300))
    return [*events, CallEnded(at=now + talk, call_id=call_id, queue=queue, agent_id=agent, talk_seconds=talk)]


@st.composite
def day(draw: st.DrawFn) -> list[DomainEvent]:
    calls = draw(st.integers(0, 25))
    events = [e for i in range(calls) for e in draw(call_story(f"c{i}"))]
    return sorted(events, key=lambda e: e.at)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=60, deadline=None)
@given(day())
def test_queues_add_up_nothing_counts_twice_and_replay_equals_the_wall(events: list[DomainEvent]) -> None:
    period = Period(T0, T0 + 30_000)  # 08:00 to 16:20, one day
    history = replay(events, SETTINGS)
    *queues, total = queue_table(history, period)
    assert total.queue == TOTAL
    for name in COUNTS:
        assert sum(getattr(q, name) for q in queues) == getattr(total, name), name
    # Each customer call is one decided record at most, in one queue.
    decided = {e.call_id for e in events if isinstance(e, CallConnected | CallAbandoned | CallbackRequested)}
    assert total.offered == len(decided)
    assert total.callbacks_answered <= total.callbacks

    # The event log stores JSON records; its replay gives the same history.
    logged = [DomainEvent.from_json(e.to_json()) for e in events]
    assert queue_table(replay(logged, SETTINGS), period) == [*queues, total]

    clock = Clock()
    targets = QueueTargets(sl_seconds=SETTINGS.sl_seconds, short_abandon_seconds=SETTINGS.short_abandon_seconds)
    wall = WallProjection(clock=clock, queues=QUEUES, targets=dict.fromkeys(QUEUES, targets), tz=dt.UTC)
    for event in events:
        clock.now = event.at
        wall.apply(event)
    clock.now = T0 + 30_000
    rows = {q.queue: q for q in queues}
    for tile in wall.snapshot().queues:
        row = rows.get(tile.queue)
        live = dataclasses.astuple(tile.today)
        if row is None:
            assert live == (0, 0, 0, None, None, None)
        else:
            # the wall adds waits up as they come, the replay per period: the same figures, summed in another order
            assert live == pytest.approx((row.answered, row.answered_in_sl, row.abandoned, row.service_level,
                                          row.asa, row.abandon_rate))

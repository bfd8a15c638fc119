"""The wall's per-agent figures of today (calls answered, AHT as reports.definitions computes it) and the
admin's alert thresholds per queue (longest wait, service level of the last 30 min), changed at run time."""

from __future__ import annotations

import datetime as dt

from acd.config import QueueConfig
from acd.events import AgentStateChanged, CallConnected, CallEnded, CallQueued
from agent_desktop.wall import QueueTargets, WallProjection
from reports.definitions import average_handle_time

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC).timestamp()


class Clock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def state(wall: WallProjection, clock: Clock, agent: str, new: str, previous: str) -> None:
    wall.apply(AgentStateChanged(agent_id=agent, state=new, previous=previous, at=clock.now))


def handle(wall: WallProjection, clock: Clock, call_id: str, *, talk: float, held: float, wrap_up: float) -> None:
    """Agent a1 answers ``call_id``, talks ``talk`` seconds (``held`` of them on hold), wraps up, is ready."""
    wall.apply(CallQueued(call_id=call_id, queue="support", priority=1, enter_time=clock.now, at=clock.now))
    state(wall, clock, "a1", "on_call", "ready")
    wall.apply(CallConnected(call_id=call_id, queue="support", agent_id="a1", wait_seconds=2.0, at=clock.now))
    clock.now += talk
    wall.apply(CallEnded(call_id=call_id, queue="support", agent_id="a1", talk_seconds=talk, held_seconds=held,
                         at=clock.now))
    state(wall, clock, "a1", "wrap_up", "on_call")
    clock.now += wrap_up
    state(wall, clock, "a1", "ready", "wrap_up")


def row(wall: WallProjection, agent: str = "a1"):  # type: ignore[no-untyped-def]
    return next(r for r in wall.snapshot().agents if r.agent_id == agent)


def tile(wall: WallProjection, queue: str = "support"):  # type: ignore[no-untyped-def]
    return next(t for t in wall.snapshot().queues if t.queue == queue)


def test_each_agent_shows_calls_answered_and_aht_of_today_and_midnight_starts_afresh() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"], tz=dt.UTC)
    state(wall, clock, "a1", "ready", "logged_out")
    state(wall, clock, "a2", "ready", "logged_out")
    assert (row(wall).answered_today, row(wall).aht_today) == (0, None)
    handle(wall, clock, "c1", talk=100.0, held=20.0, wrap_up=30.0)
    handle(wall, clock, "c2", talk=50.0, held=0.0, wrap_up=10.0)
    a1 = row(wall)
    assert a1.answered_today == 2
    assert a1.aht_today == average_handle_time(130.0, 20.0, 40.0, 2) == 95.0
    assert (row(wall, "a2").answered_today, row(wall, "a2").aht_today) == (0, None)
    clock.now = dt.datetime(2026, 3, 3, 0, 0, 1, tzinfo=dt.UTC).timestamp()
    assert (row(wall).answered_today, row(wall).aht_today) == (0, None)


def test_a_queue_alerts_when_the_longest_wait_passes_its_threshold() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"],
                          targets={"support": QueueTargets(sl_seconds=200.0, alert_wait_seconds=60.0)})
    wall.apply(CallQueued(call_id="c1", queue="support", priority=1, enter_time=clock.now, at=clock.now))
    clock.now += 60.0
    assert tile(wall).alerts == ()
    clock.now += 1.0
    crossed = tile(wall)
    assert crossed.alerts == ("longest_wait",)
    assert crossed.colours["longest_wait"] == "alert"  # 61 s is well inside the 200 s service level otherwise
    assert crossed.thresholds == {"longest_wait": 60.0, "service_level": None}


def test_a_queue_alerts_when_its_recent_service_level_falls_below_the_threshold() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"],
                          targets={"support": QueueTargets(sl_seconds=20.0, sl_target=0.5, alert_sl=0.7)})
    for i, wait in enumerate((5.0, 5.0, 30.0)):  # 2 of 3 in 20 s: 67 %, above the 50 % target, below 70 %
        wall.apply(CallQueued(call_id=f"c{i}", queue="support", priority=1, enter_time=clock.now, at=clock.now))
        wall.apply(CallConnected(call_id=f"c{i}", queue="support", agent_id="a1", wait_seconds=wait, at=clock.now))
    assert tile(wall).alerts == ("service_level",)
    assert tile(wall).colours["sl_30_min"] == "alert"


def test_changed_targets_apply_from_the_next_snapshot() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"])
    wall.apply(CallQueued(call_id="c1", queue="support", priority=1, enter_time=clock.now, at=clock.now))
    clock.now += 45.0
    assert tile(wall).alerts == ()
    version = wall.version
    wall.set_targets("support", QueueTargets.of(QueueConfig("support", service_level_seconds=30.0,
                                                            alert_wait_seconds=40.0)))
    assert wall.version > version  # so the hub pushes a new snapshot
    assert tile(wall).alerts == ("longest_wait",)

"""The wall projection: service level, ASA, abandon rate, windows, agents by state, colours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from process_zone import process_time_zone

from acd.events import AgentStateChanged, CallAbandoned, CallConnected, CallOffered, CallQueued
from agent_desktop.wall import QueueTargets, WallProjection

UTC = dt.UTC
NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def tile(wall: WallProjection, queue: str = "support"):  # type: ignore[no-untyped-def]
    return next(t for t in wall.snapshot().queues if t.queue == queue)


def answer(wall: WallProjection, clock: Clock, call_id: str, wait: float, queue: str = "support") -> None:
    wall.apply(CallQueued(call_id=call_id, queue=queue, priority=1, enter_time=clock.now, at=clock.now))
    wall.apply(CallConnected(call_id=call_id, queue=queue, agent_id="a1", wait_seconds=wait, at=clock.now))


def abandon(wall: WallProjection, clock: Clock, call_id: str, wait: float) -> None:
    wall.apply(CallQueued(call_id=call_id, queue="support", priority=1, enter_time=clock.now, at=clock.now))
    wall.apply(CallAbandoned(call_id=call_id, queue="support", wait_seconds=wait, at=clock.now))


def test_service_level_asa_and_abandon_rate() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"], tz=UTC,
                          targets={"support": QueueTargets(sl_seconds=20, short_abandon_seconds=5)})
    for n, wait in enumerate([5, 10, 19, 20, 40, 66]):
        answer(wall, clock, f"a{n}", wait)
    abandon(wall, clock, "x1", 30)
    abandon(wall, clock, "x2", 3)  # short abandon: not counted
    t = tile(wall)
    assert (t.today.answered, t.today.answered_in_sl, t.today.abandoned) == (6, 4, 1)
    assert t.today.service_level == pytest.approx(4 / 7)
    assert t.today.asa == pytest.approx(160 / 6)
    assert t.today.abandon_rate == pytest.approx(1 / 7)
    assert t.colours["sl_today"] == "alert" and t.colours["abandon_today"] == "alert"
    assert t.waiting == 0


def test_last_30_minutes_slides_while_today_keeps_counting() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"], tz=UTC)
    answer(wall, clock, "old", 60)
    clock.now += 25 * 60
    answer(wall, clock, "new", 2)
    assert tile(wall).last_30_min.answered == 2
    clock.now += 10 * 60
    t = tile(wall)
    assert (t.last_30_min.answered, t.last_30_min.service_level) == (1, 1.0)
    assert (t.today.answered, t.today.service_level) == (2, 0.5)
    assert t.colours["sl_30_min"] == "ok" and t.colours["sl_today"] == "alert"


def test_today_resets_at_local_midnight() -> None:
    clock = Clock()
    tz = dt.timezone(dt.timedelta(hours=-5))  # local midnight falls at 05:00 UTC
    wall = WallProjection(clock=clock, queues=["support"], tz=tz)
    answer(wall, clock, "a", 1)
    clock.now = dt.datetime(2026, 3, 3, 4, 59, tzinfo=UTC).timestamp()
    assert tile(wall).today.answered == 1
    clock.now += 120
    assert tile(wall).today.answered == 0
    answer(wall, clock, "b", 1)
    assert tile(wall).today.answered == 1


def test_waiting_longest_wait_and_a_call_counts_once() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, tz=UTC)
    wall.apply(CallQueued(call_id="c1", queue="sales", priority=1, enter_time=clock.now - 50, at=clock.now))
    wall.apply(CallQueued(call_id="c2", queue="sales", priority=1, enter_time=clock.now - 5, at=clock.now))
    wall.apply(CallOffered(call_id="c1", queue="sales", agent_id="a1", at=clock.now))
    t = tile(wall, "sales")
    assert (t.waiting, t.longest_wait, t.colours["longest_wait"]) == (2, 50, "alert")
    wall.apply(CallConnected(call_id="c1", queue="sales", agent_id="a1", wait_seconds=50, at=clock.now))
    wall.apply(CallConnected(call_id="c1", queue="sales", agent_id="a2", wait_seconds=80, at=clock.now))  # transfer
    t = tile(wall, "sales")
    assert (t.waiting, t.today.answered, t.today.asa) == (1, 1, 50)


def test_agents_by_state_per_queue_and_time_in_state() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, tz=UTC, memberships={"a1": ["support"], "a2": ["support", "sales"],
                                                           "a3": ["sales"]}, agent_names={"a1": "Ann"})
    wall.apply(AgentStateChanged(agent_id="a1", state="ready", previous="logged_out", at=clock.now - 30))
    wall.apply(AgentStateChanged(agent_id="a2", state="not_ready", previous="ready", reason="lunch",
                                 at=clock.now - 5))
    support, sales = tile(wall, "support"), tile(wall, "sales")
    assert (support.agents["ready"], support.agents["not_ready"]) == (1, 1)
    assert (sales.agents["not_ready"], sales.agents["logged_out"]) == (1, 1)
    rows = {r.agent_id: r for r in wall.snapshot().agents}
    assert (rows["a1"].name, rows["a1"].time_in_state) == ("Ann", 30)
    assert (rows["a2"].reason, rows["a2"].time_in_state) == ("lunch", 5)


def test_every_change_bumps_the_version_for_coalescing() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, tz=UTC)
    before = wall.version
    answer(wall, clock, "a", 1)
    assert wall.version == before + 2


# gaps of at most 10 min keep 60 calls within the same day (from noon)
outcomes = st.lists(st.tuples(st.booleans(), st.floats(0, 600), st.floats(0, 600)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(outcomes)
def test_figures_always_reconcile(events: list[tuple[bool, float, float]]) -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, queues=["support"], tz=UTC)
    for n, (answered, wait, gap) in enumerate(events):
        clock.now += gap
        (answer if answered else abandon)(wall, clock, f"c{n}", wait)
    t = tile(wall)
    assert t.today.answered == sum(1 for answered, _, _ in events if answered)
    assert t.today.abandoned == sum(1 for answered, _, _ in events if not answered)
    assert t.today.answered_in_sl == sum(1 for answered, wait, _ in events if answered and wait <= 20)
    assert t.last_30_min.answered <= t.today.answered and t.last_30_min.abandoned <= t.today.abandoned
    for period in (t.today, t.last_30_min):
        if period.service_level is not None:
            assert 0 <= period.service_level <= 1
            assert period.service_level + (period.abandon_rate or 0) <= 1 + 1e-9


PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def system_zone_paris() -> Iterator[None]:
    """The process's own zone set to Europe/Paris, for the wall built without ``tz``."""
    with process_time_zone("Europe/Paris"):
        yield


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS).timestamp()


@pytest.mark.parametrize("zone", ["given", "system"])
@pytest.mark.parametrize(("noon", "late_evening", "after_midnight"), [
    # 29 March 2026 has 23 hours (clocks go forward), 25 October 2026 has 25 (clocks go back).
    ((2026, 3, 29, 12), (2026, 3, 29, 23, 50), (2026, 3, 30, 0, 10)),
    ((2026, 10, 25, 12), (2026, 10, 25, 23, 50), (2026, 10, 26, 0, 10)),
], ids=["23-hour day", "25-hour day"])
def test_today_ends_at_local_midnight_on_days_with_a_dst_change(
    request: pytest.FixtureRequest, zone: str, noon: tuple[int, ...], late_evening: tuple[int, ...],
    after_midnight: tuple[int, ...],
) -> None:
    if zone == "system":
        request.getfixturevalue("system_zone_paris")
    clock = Clock(paris(*noon))
    wall = WallProjection(clock=clock, queues=["support"], tz=PARIS if zone == "given" else None)
    answer(wall, clock, "a", 1)
    clock.now = paris(*late_evening)
    assert tile(wall).today.answered == 1
    clock.now = paris(*after_midnight)
    assert tile(wall).today.answered == 0
    answer(wall, clock, "b", 1)
    assert tile(wall).today.answered == 1


def test_an_agent_busy_with_another_queues_call_is_not_counted_in_this_queue() -> None:
    clock = Clock()
    wall = WallProjection(clock=clock, tz=UTC, memberships={"a1": ["support", "sales"], "a2": ["support"]})
    for agent in ("a1", "a2"):
        wall.apply(AgentStateChanged(agent_id=agent, state="ready", previous="logged_out", at=clock.now))
    wall.apply(CallQueued(call_id="s1", queue="sales", priority=1, enter_time=clock.now, at=clock.now))
    wall.apply(AgentStateChanged(agent_id="a1", state="on_call", previous="ready", call_id="s1", at=clock.now))
    wall.apply(CallConnected(call_id="s1", queue="sales", agent_id="a1", wait_seconds=1, at=clock.now))
    support, sales = tile(wall, "support"), tile(wall, "sales")
    assert (support.agents["on_call"], support.agents["ready"]) == (0, 1)  # support answered nothing
    assert sales.agents["on_call"] == 1
    wall.apply(AgentStateChanged(agent_id="a1", state="ready", previous="wrap_up", at=clock.now))
    assert tile(wall, "support").agents["ready"] == 2  # free again: counts for every queue it serves

"""Trend series behind the wall's sparklines, alone and inside the projection."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from acd.events import CallConnected, CallQueued
from agent_desktop.trends import Combine, TrendSeries
from agent_desktop.wall import TREND_POINTS, WallProjection


def test_a_bucket_keeps_its_peak_or_its_last_value_and_quiet_buckets_hold_the_value_before() -> None:
    peak = TrendSeries(bucket_seconds=10, points=4, combine=Combine.PEAK)
    last = TrendSeries(bucket_seconds=10, points=4)
    for at, value in [(100, 1), (103, 5), (107, 2), (125, 3)]:
        peak.record(at, value)
        last.record(at, value)
    # buckets 10, 11, 12, 13 (now = 131): bucket 11 saw nothing and repeats bucket 10
    assert peak.values(131) == (5, 5, 3, 3)
    assert last.values(131) == (2, 2, 3, 3)
    assert last.values(99) == (None, None, None, None)  # nothing known before the first record


def test_the_window_slides_but_remembers_the_value_it_starts_with() -> None:
    series = TrendSeries(bucket_seconds=1, points=3)
    series.record(0, 7)
    assert series.values(10) == (7, 7, 7)
    series.record(10.5, 1)
    assert series.values(12) == (1, 1, 1)


@given(st.lists(st.tuples(st.floats(0, 500), st.integers(0, 50)), max_size=40), st.floats(0, 600))
def test_peak_values_never_exceed_what_was_recorded_and_length_is_fixed(
    records: list[tuple[float, int]], now: float
) -> None:
    series = TrendSeries(bucket_seconds=7, points=12, combine=Combine.PEAK)
    for at, value in sorted(records):
        series.record(at, value)
    values = series.values(now)
    assert len(values) == 12
    assert all(v is None or v <= max(val for _, val in records) for v in values)


def test_wall_tiles_carry_waiting_and_service_level_trends() -> None:
    now = [1_700_000_000.0]
    wall = WallProjection(clock=lambda: now[0], queues=["support"])
    wall.apply(CallQueued(call_id="c1", queue="support", priority=1, enter_time=now[0], at=now[0]))
    wall.apply(CallQueued(call_id="c2", queue="support", priority=1, enter_time=now[0], at=now[0]))
    now[0] += 60
    wall.apply(CallConnected(call_id="c1", queue="support", agent_id="a1", wait_seconds=60.0, at=now[0]))
    trends = wall.snapshot().queues[0].trends
    assert len(trends["waiting"]) == TREND_POINTS
    assert trends["waiting"][-3:] == (2, 2, 1)  # two waiting, then one answered (late: outside 20 s SL)
    assert trends["sl_30_min"][-1] == 0.0

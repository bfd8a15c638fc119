"""The hand-computed day (tests/reports/day_fixture.py, which holds the figures worked out by hand from its
story): the definitions' tables and the live wall must both give them (the report pages' rollups:
tests/reports/test_rollups.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from day_fixture import (
    DAY,
    END,
    EXPECTED,
    EXPECTED_AGENTS,
    EXPECTED_DISPOSITIONS,
    EXPECTED_INTERVALS_15,
    QUEUE_FIGURES,
    SETTINGS,
    T0,
)

from agent_desktop.wall import QueueTargets, WallProjection
from reports.definitions import ServiceLevelVariant
from reports.history import replay
from reports.ivr_report import ivr_report
from reports.tables import Period, agent_table, disposition_table, fcr_by_customer, interval_table, queue_table

DAY_PERIOD = Period(T0, END)


def figures(row) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return tuple(getattr(row, name) for name in QUEUE_FIGURES)


def test_queue_report_matches_the_hand_computed_table() -> None:
    rows = queue_table(replay(DAY, SETTINGS, until=END), DAY_PERIOD)
    got = {row.queue: figures(row) for row in rows}
    assert list(got) == ["sales", "support", "*"]
    for queue, expected in EXPECTED.items():
        assert got[queue] == pytest.approx(expected), queue
    assert {row.sl_variant for row in rows} == {"offered_less_short"}


def test_service_level_variants_are_named_and_differ() -> None:
    answered_only = dataclasses.replace(SETTINGS, sl_variant=ServiceLevelVariant.ANSWERED)
    total = queue_table(replay(DAY, answered_only), DAY_PERIOD)[-1]
    assert (total.sl_variant, total.service_level) == ("answered", 3 / 4)
    everything = dataclasses.replace(SETTINGS, sl_variant=ServiceLevelVariant.OFFERED)
    assert queue_table(replay(DAY, everything), DAY_PERIOD)[-1].service_level == 3 / 7


def test_interval_report_splits_the_day_by_outcome_time() -> None:
    rows = interval_table(replay(DAY, SETTINGS), DAY_PERIOD, 15)
    assert [(start - T0, r.offered, r.answered, r.answered_in_sl, r.service_level) for start, r in rows] == (
        EXPECTED_INTERVALS_15)


def test_agent_report_matches_the_hand_computed_times() -> None:
    rows = {r.agent_id: r for r in agent_table(replay(DAY, SETTINGS, until=END), DAY_PERIOD)}
    assert set(rows) == set(EXPECTED_AGENTS)
    for agent, (states, reasons, calls, aht, occupancy, utilisation) in EXPECTED_AGENTS.items():
        row = rows[agent]
        assert (row.seconds_by_state, row.not_ready_by_reason, row.calls) == (states, reasons, calls), agent
        assert (row.aht, row.occupancy, row.utilisation) == pytest.approx((aht, occupancy, utilisation)), agent


def test_disposition_and_first_contact_resolution() -> None:
    history = replay(DAY, SETTINGS)
    assert disposition_table(history.calls.values()) == EXPECTED_DISPOSITIONS
    # C1 called again (c6) and C3 too (c7); only C2 was served at the first contact.
    assert fcr_by_customer(history, DAY_PERIOD) == pytest.approx(1 / 3)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_the_live_wall_shows_the_same_day() -> None:
    clock = Clock()
    targets = QueueTargets(sl_seconds=20, short_abandon_seconds=5)
    wall = WallProjection(clock=clock, targets={"support": targets, "sales": targets}, tz=dt.UTC)
    for event in DAY:
        clock.now = event.at
        wall.apply(event)
    clock.now = END
    report = {r.queue: r for r in queue_table(replay(DAY, SETTINGS), DAY_PERIOD)}
    for tile in wall.snapshot().queues:
        row = report[tile.queue]
        assert (tile.today.answered, tile.today.answered_in_sl, tile.today.abandoned) == (
            row.answered, row.answered_in_sl, row.abandoned)
        assert (tile.today.service_level, tile.today.asa, tile.today.abandon_rate) == pytest.approx(
            (EXPECTED[tile.queue][7], EXPECTED[tile.queue][8], EXPECTED[tile.queue][9]))


def test_the_ivr_report_counts_the_ivr_hang_up_which_no_queue_saw() -> None:
    report = ivr_report(DAY, T0, END)
    assert (report.calls, report.outcomes, report.containment) == (1, {"hangup": 1}, 1.0)

"""The hand-computed day (tests/reports/day_fixture.py): every figure below was worked out by hand from the
fixture's story; the reports and the live wall must both give them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from day_fixture import DAY, END, T0

from agent_desktop.wall import QueueTargets, WallProjection
from reports.definitions import KpiSettings, ServiceLevelVariant
from reports.history import replay
from reports.ivr_report import ivr_report
from reports.tables import Period, agent_table, disposition_table, fcr_by_customer, interval_table, queue_table

SETTINGS = KpiSettings(sl_seconds=20, short_abandon_seconds=5)
DAY_PERIOD = Period(T0, END)

# queue: offered, answered, in SL, abandoned, short, call-backs (answered), SL, ASA, abandon %, AHT,
# transfers, consultations, attended transfers
EXPECTED = {
    # c1 10 s in SL, c2 30 s out, c7 15 s in; c4 short, c5 long. SL 2/(5-1); ASA 55/3; AHT (150+140+110)/3
    "support": (5, 3, 2, 1, 1, 0, 0, 2 / 4, 55 / 3, 1 / 4, 400 / 3, 1, 0, 0),
    # c3 5 s in SL; c6 call-back. SL 1/2; AHT c3 (95 talk + 30 hold + 25 ACW) and c6 (60 + 10): 220/2
    "sales": (2, 1, 1, 0, 0, 1, 1, 1 / 2, 5.0, 0.0, 110.0, 1, 1, 1),
    "*": (7, 4, 3, 1, 1, 1, 1, 3 / 6, 60 / 4, 1 / 6, 620 / 5, 2, 1, 1),
}


def figures(row) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return (row.offered, row.answered, row.answered_in_sl, row.abandoned, row.short_abandoned, row.callbacks,
            row.callbacks_answered, row.service_level, row.asa, row.abandon_rate, row.aht, row.transfers,
            row.consultations, row.attended_transfers)


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
    # 08:00-08:15: c1..c6 decided (c3 in SL with c1); 08:15-08:30: c7 only.
    assert [(start - T0, r.offered, r.answered, r.answered_in_sl, r.service_level) for start, r in rows] == [
        (0, 6, 3, 2, 2 / 5), (900, 1, 1, 1, 1.0)]


def test_agent_report_matches_the_hand_computed_times() -> None:
    rows = {r.agent_id: r for r in agent_table(replay(DAY, SETTINGS, until=END), DAY_PERIOD)}
    a1, a2, a3 = rows["a1"], rows["a2"], rows["a3"]
    assert a1.seconds_by_state == {"ready": 750, "on_call": 300, "wrap_up": 50, "not_ready": 100}
    assert a1.not_ready_by_reason == {"lunch": 100}
    # a1 took c1, c3 (handed over by a3) and c7; a2 took c2 and c6's call-back; a3 took c2 and c3.
    assert (a1.calls, a2.calls, a3.calls) == (3, 2, 2)
    assert (a1.aht, a2.aht, a3.aht) == pytest.approx((350 / 3, 140 / 2, 130 / 2))
    assert (a1.occupancy, a1.utilisation) == pytest.approx((350 / 1100, 350 / 1200))
    assert a2.seconds_by_state == {"ready": 1060, "on_call": 120, "wrap_up": 20}


def test_disposition_and_first_contact_resolution() -> None:
    history = replay(DAY, SETTINGS)
    assert disposition_table(history.calls.values()) == {
        ("support", "a1", "info"): 1, ("support", "a2", ""): 1, ("support", "a1", "resolved"): 1,
        ("sales", "a3", ""): 1, ("sales", "a2", ""): 1,
    }
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

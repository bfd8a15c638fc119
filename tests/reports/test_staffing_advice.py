"""Staffing advice: traffic measured from the calls, agents by Erlang C and Erlang A, and the advice
checked against the ACD simulator (the real routing core on a simulated clock)."""

from __future__ import annotations

import pytest

from acd.erlang import ErlangC
from acd.simulation import SimulationSpec, simulate
from reports.definitions import Outcome
from reports.history import CallRecord
from reports.staffing import ErlangA, Traffic, advise, measure_traffic, queue_staffing, what_if

TARGET, SL_SECONDS = 0.80, 20.0


def test_traffic_is_measured_from_the_calls_of_the_window() -> None:
    records = [
        CallRecord("c1", "q", 10.0, outcome=Outcome.ANSWERED, wait_seconds=20, talk_seconds=100, hold_seconds=20,
                   after_call_work=30),
        CallRecord("c2", "q", 20.0, outcome=Outcome.ANSWERED, wait_seconds=40, talk_seconds=200),
        CallRecord("c3", "q", 30.0, outcome=Outcome.ABANDONED, wait_seconds=60),
        CallRecord("c4", "q", 5000.0, outcome=Outcome.ANSWERED),  # after the window
    ]
    traffic = measure_traffic(records, 0.0, 1800.0)
    # 3 calls in half an hour; AHT (150 + 200) / 2; patience: 120 s waited in all over 1 abandon.
    assert traffic == Traffic(calls_per_hour=6.0, handle_seconds=175.0, patience_seconds=120.0)


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    for agents in (19, 22, 25):
        assert ErlangA(360, 180, 1e7, agents).service_level(SL_SECONDS) == pytest.approx(
            ErlangC(360, 180, agents).service_level(SL_SECONDS), abs=1e-4)


def test_the_what_if_names_the_service_level_and_asa_of_k_agents() -> None:
    figures = what_if(Traffic(360, 180, 120.0), 22, SL_SECONDS)
    # 18 erlangs on 22 agents: P(wait) 0.278, SL 1 - 0.278 e^(-4*20/180) = 0.822, ASA 0.278 * 180 / 4 = 12.5 s
    assert (figures.agents, round(figures.service_level, 3), round(figures.asa, 1)) == (22, 0.822, 12.5)
    assert figures.service_level_a is not None and figures.service_level_a > figures.service_level


@pytest.mark.parametrize("patience", [None, 120.0])
def test_the_simulated_service_level_with_the_advised_agents_is_within_3_points_of_the_target(
        patience: float | None) -> None:
    advice = advise(Traffic(360, 180, patience), TARGET, SL_SECONDS)
    agents = advice.erlang_c_agents if patience is None else advice.erlang_a_agents
    assert agents == (22 if patience is None else 20)  # callers who give up leave fewer to answer
    report = simulate(SimulationSpec(calls_per_hour=360, handle_seconds=180, agents=agents,
                                     duration_seconds=41 * 3600, warmup_seconds=3600, seed=1,
                                     patience_seconds=patience))
    assert abs(report.service_level - TARGET) <= 0.03


def calls(queue: str, start: float, count: int, spacing: float) -> list[CallRecord]:
    return [CallRecord(f"{queue}-{start}-{i}", queue, start + i * spacing, outcome=Outcome.ANSWERED,
                       wait_seconds=5, talk_seconds=170, after_call_work=10) for i in range(count)]


def test_the_queue_panel_compares_with_last_week_and_forecasts_the_next_hour() -> None:
    now = 30 * 86400.0
    week_ago = now - 7 * 86400.0
    records = [
        *calls("support", now - 900, 90, 10.0),  # last 15 min: 360 calls an hour, AHT 180 s
        *calls("support", week_ago - 900, 45, 20.0),  # a week ago, same 15 min: 180 an hour...
        *calls("support", week_ago, 360, 10.0),  # ...and the hour after it: 360 an hour (twice as busy)
        *calls("sales", now - 900, 10, 60.0),
    ]
    panel = queue_staffing("support", records, now, window=900, sl_target=TARGET, sl_seconds=SL_SECONDS,
                           logged_in=20)
    assert (panel.now.calls_per_hour, panel.now.handle_seconds, panel.week_ago.calls_per_hour) == (360, 180, 180)
    assert panel.advice_now.erlang_c_agents == 22
    # next hour: 720 calls an hour of 180 s = 36 erlangs
    assert panel.advice_next_hour.traffic.calls_per_hour == 720
    assert panel.advice_next_hour.erlang_c_agents > 36
    assert panel.with_logged_in is not None and panel.with_logged_in.service_level < TARGET


def test_calls_of_no_length_give_advice_not_a_division_by_zero() -> None:
    records = [CallRecord("c1", "q", 10.0, outcome=Outcome.ANSWERED),
               CallRecord("c2", "q", 20.0, outcome=Outcome.ABANDONED)]
    traffic = measure_traffic(records, 0.0, 900.0)
    assert (traffic.handle_seconds, traffic.patience_seconds) == (1.0, 1.0)
    assert advise(traffic, TARGET, SL_SECONDS).erlang_c_agents == 1
    assert what_if(traffic, 1, SL_SECONDS).service_level > 0.99

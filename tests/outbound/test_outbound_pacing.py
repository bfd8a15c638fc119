"""Pacing: abandon formulas, the pacers' invariants, and a simulated day checked from its event log."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.abandon import OFCOM, US, AbandonLedger
from outbound.adapt_pacer import AdaptPacer
from outbound.dialer_bench import run_dialer_bench
from outbound.dialer_day import DayPlan, check_compliance, simulate_day
from outbound.pacing import (
    AT_LIMIT,
    LEARNING,
    PREDICTING,
    DialStats,
    Pacer,
    PacingError,
    PacingState,
    PredictivePacer,
    poisson_beyond,
)

DAY = 86400.0
T0 = 1_700_000_000.0


def test_us_rate_counts_abandons_over_live_answers_for_thirty_days() -> None:
    ledger = AbandonLedger()
    for i in range(97):
        ledger.live(T0 + i, abandoned=False)
    for i in range(3):
        ledger.live(T0 + 100 + i, abandoned=True)
    ledger.machine(T0 + 200)
    assert ledger.rate(US, T0 + 300) == pytest.approx(0.03)
    assert ledger.rate(US, T0 + 29 * DAY) == pytest.approx(0.03)
    assert ledger.rate(US, T0 + 31 * DAY) == 0.0


def test_ofcom_rate_adds_estimated_amd_false_positives_and_keeps_24_hours() -> None:
    ledger = AbandonLedger(false_positive=0.1)
    for i in range(90):
        ledger.live(T0 + i, abandoned=False)
    ledger.live(T0 + 90, abandoned=True)
    for i in range(50):
        ledger.machine(T0 + 100 + i)
    # (1 + 0.1 * 50) / (91 + 0.1 * 50)
    assert ledger.rate(OFCOM, T0 + 200) == pytest.approx(6 / 96)
    assert ledger.rate(OFCOM, T0 + DAY + 300) == 0.0
    assert ledger.rate(US, T0 + DAY + 300) == pytest.approx(1 / 91)


def test_a_ledger_replays_stored_outcomes_as_if_it_had_counted_them() -> None:
    """A restarted dialer's ledger: the same rates as one that ran through the month."""
    history = [(T0 - 40 * DAY, "abandoned"), (T0 - 2 * DAY, "abandoned"), (T0 - 2 * DAY, "answered"),
               (T0 - 3600, "do_not_call"), (T0 - 3600, "busy"), (T0 - 600, "no_answer"), (T0 - 60, "machine"),
               (T0 - 30, "answered"), (T0 - 20, "abandoned")]
    replayed, counted = AbandonLedger(false_positive=0.1), AbandonLedger(false_positive=0.1)
    replayed.replay(history)
    for at, outcome in history:
        if outcome == "machine":
            counted.machine(at)
        elif outcome in ("answered", "do_not_call", "abandoned"):
            counted.live(at, abandoned=outcome == "abandoned")
    for formula in (US, OFCOM):
        assert replayed.counts(formula, T0) == counted.counts(formula, T0)
    assert replayed.rate(US, T0) == pytest.approx(2 / 5)  # the abandon 40 days ago is out of the window
    assert replayed.rate(OFCOM, T0) == pytest.approx((1 + 0.1) / (3 + 0.1))  # the day's: 3 lives, 1 machine


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(PacingError):
        PredictivePacer(target=0.0)
    with pytest.raises(ValueError):
        AbandonLedger(false_positive=1.0)


states = st.builds(
    PacingState,
    now=st.floats(T0, T0 + DAY),
    ready=st.integers(0, 60),
    busy_elapsed=st.lists(st.floats(0, 900), max_size=60).map(tuple),
    ringing_elapsed=st.lists(st.floats(0, 30), max_size=120).map(tuple),
    wrapping_elapsed=st.lists(st.floats(0, 120), max_size=20).map(tuple),
)


def test_progressive_keeps_each_agent_dialling_alike_in_small_and_large_teams() -> None:
    # each line holds its own agent: an agent's day does not depend on how many others dial beside them
    small, large = (simulate_day(DayPlan(agents=n, hours=1.0, seed=4), Pacer()) for n in (4, 16))
    per_agent = [day.talk_seconds / day.agents for day in (small, large)]
    assert per_agent[1] == pytest.approx(per_agent[0], rel=0.1)
    assert small.abandoned == large.abandoned == 0


@given(states, st.lists(st.booleans(), max_size=200))
@settings(max_examples=60)
def test_predictive_dials_at_least_progressive_and_is_bounded(state: PacingState, lives: list[bool]) -> None:
    pacer = PredictivePacer()
    for i, abandoned in enumerate(lives):
        pacer.live(state.now - 1000 + i, abandoned=abandoned)
    lines = pacer.lines(state)
    progressive = max(0, state.ready - len(state.ringing_elapsed))  # ready agents no line may claim
    assert lines >= progressive
    assert lines <= max(progressive, int(pacer.max_ratio * state.agents))


def test_predictive_falls_back_to_progressive_when_the_measured_rate_is_over() -> None:
    pacer = PredictivePacer(target=0.03)
    for i in range(100):
        pacer.live(T0 + i, abandoned=i < 3)  # 3%: one more would breach
    state = PacingState(T0 + 200, ready=3, busy_elapsed=(100.0,) * 17, ringing_elapsed=(1.0,))
    assert pacer.lines(state) == 2
    assert pacer.fallbacks == 1


def taught(pacer: PredictivePacer, *, lives: int = 1000, abandoned: int = 0) -> PredictivePacer:
    """A pacer that has seen 1000 dials (30% connect after 10 s, the rest end at 20 s), 200 calls of
    60-300 s talk and 10 s wrap-up, and ``lives`` live answers of which ``abandoned`` were abandoned."""
    for i in range(1000):
        pacer.resolved(T0, 10.0 if i % 10 < 3 else 20.0, connect=i % 10 < 3)
    for i in range(200):
        pacer.handled(60.0 + 240.0 * i / 199)
        pacer.wrapped(10.0)
    for i in range(lives):
        pacer.live(T0 + i, abandoned=i < abandoned)
    return pacer


def test_predictive_overdials_when_the_budget_allows() -> None:
    pacer = taught(PredictivePacer(target=0.03))
    state = PacingState(T0 + 2000, ready=5, busy_elapsed=(170.0,) * 15)
    assert pacer.lines(state) > 5
    assert pacer.fallbacks == 0


def test_predictive_is_progressive_until_it_has_seen_enough_calls() -> None:
    pacer = PredictivePacer(target=0.03)
    for i in range(1000):
        pacer.live(T0 + i, abandoned=False)
    state = PacingState(T0 + 2000, ready=5, busy_elapsed=(170.0,) * 15)
    assert pacer.lines(state) == 5
    assert pacer.fallbacks == 1


def test_predictive_spends_no_more_than_the_abandon_budget_left() -> None:
    state = PacingState(T0 + 2000, ready=2, busy_elapsed=(250.0,) * 18)
    # (no wariness with little room: the budget alone holds the lines back here)
    roomy = taught(PredictivePacer(target=0.03, threshold=0.5, wary_room=1.0), abandoned=0)  # 30 abandons left
    tight = taught(PredictivePacer(target=0.03, threshold=0.5, wary_room=1.0), abandoned=29)  # one left
    first, roomy_first = tight.lines(state), roomy.lines(state)
    assert first < roomy_first
    # the lines just dialled hold most of the last abandon until they resolve: fewer lines the next second
    later = dataclasses.replace(state, now=T0 + 2001)
    assert tight.lines(later) < first
    assert roomy.lines(later) == roomy_first


def test_predictive_dials_ahead_for_agents_near_the_end_of_their_calls() -> None:
    pacer = taught(PredictivePacer(target=0.03, threshold=0.05))
    just_started = PacingState(T0 + 2000, ready=0, busy_elapsed=(5.0,) * 20)
    nearly_done = PacingState(T0 + 2000, ready=0, busy_elapsed=(290.0,) * 20)
    assert pacer.lines(just_started) < pacer.lines(nearly_done)


def test_an_agent_wrapping_up_is_counted_on_sooner_than_one_still_talking() -> None:
    pacer = taught(PredictivePacer(target=0.03))
    # the same 20 agents: 290 s into their talk (a 10 s wrap-up still to come), or 8 s into that wrap-up
    talking = PacingState(T0 + 2000, ready=0, busy_elapsed=(290.0,) * 20)
    wrapping = PacingState(T0 + 2000, ready=0, wrapping_elapsed=(8.0,) * 20)
    assert pacer.lines(talking) < pacer.lines(wrapping)


def test_free_chance_is_conditional_on_the_time_already_spent_and_adds_the_wrap_up() -> None:
    stats = DialStats(min_samples=10)
    for _ in range(50):
        stats.talks.add(100.0)
        stats.wraps.add(10.0)
    assert stats.free_chance(95.0, 16.0) == 1.0  # 5 s of talk and 10 s of wrap-up left
    assert stats.free_chance(95.0, 10.0) == 0.0  # the talk ends, the wrap-up does not
    assert stats.free_chance(50.0, 10.0) == 0.0
    assert stats.wrap_free_chance(4.0, 7.0) == 1.0
    assert stats.wrap_free_chance(1.0, 7.0) == 0.0


def test_little_room_left_is_spent_warily() -> None:
    state = PacingState(T0 + 2000, ready=2, busy_elapsed=(250.0,) * 18)
    bold = taught(PredictivePacer(target=0.03, threshold=0.5, wary_room=1.0), abandoned=27)  # three left
    wary = taught(PredictivePacer(target=0.03, threshold=0.5), abandoned=27)
    assert wary.lines(state) < bold.lines(state)


def test_answers_while_falling_back_do_not_teach_the_threshold() -> None:
    pacer = taught(PredictivePacer(target=0.03), lives=100, abandoned=3)  # no room: progressive
    threshold = pacer.threshold
    pacer.lines(PacingState(T0 + 2000, ready=2, busy_elapsed=(100.0,) * 18))
    assert pacer.fallbacks == 1
    for i in range(30):
        pacer.live(T0 + 2001 + i, abandoned=False)
    assert pacer.threshold == threshold


def test_adapt_level_falls_to_one_at_the_hard_limit_and_climbs_only_with_agents_waiting() -> None:
    pacer = AdaptPacer(target=0.03, level=2.0, step=0.1)
    all_busy = PacingState(T0, ready=0, busy_elapsed=(10.0,) * 10)
    pacer.lines(all_busy)
    for i in range(100):
        pacer.live(T0 + i, abandoned=i < 3)  # the day's drop rate at the target
    pacer.lines(dataclasses.replace(all_busy, now=T0 + 15))
    assert pacer.level == 1.0
    for i in range(100):
        pacer.live(T0 + 20 + i, abandoned=False)  # 3 / 200: under again
    pacer.lines(dataclasses.replace(all_busy, now=T0 + 200))
    assert pacer.level == 1.0  # every agent busy: nothing to gain from dialling more
    pacer.lines(PacingState(T0 + 201, ready=3, busy_elapsed=(10.0,) * 7))
    pacer.lines(PacingState(T0 + 215, ready=3, busy_elapsed=(10.0,) * 7))
    assert pacer.level == pytest.approx(1.1)
    pacer.live(T0 + 216, abandoned=True)  # one drop in the last minute's few answers: a step down
    pacer.lines(PacingState(T0 + 230, ready=3, busy_elapsed=(10.0,) * 7))
    assert pacer.level < 1.1


@pytest.mark.parametrize("agents", [5, 20, 50])
def test_a_simulated_hour_keeps_the_target_and_the_rules_and_beats_progressive(agents: int) -> None:
    plan = DayPlan(agents=agents, hours=1.0, seed=3)
    predictive = simulate_day(plan, PredictivePacer(target=0.03))
    progressive = simulate_day(plan, Pacer())
    for day in (predictive, progressive):
        checked = check_compliance(plan, day)
        assert checked["dials"] > 30 * agents
        assert checked["dnc_dials"] == 0
        assert checked["out_of_window_dials"] == 0
    assert progressive.abandoned == 0
    assert predictive.abandoned <= 0.03 * predictive.lives
    assert predictive.talk_seconds > progressive.talk_seconds
    if agents >= 20:  # enough people to ask for it within the hour
        assert any(kind == "dnc" for _, kind, _, _ in predictive.events + progressive.events)


def test_the_adapt_baseline_steers_toward_the_same_target() -> None:
    plan = DayPlan(agents=20, hours=2.0, seed=3)
    day = simulate_day(plan, AdaptPacer(target=0.03))
    assert 0.015 <= day.abandoned / day.lives <= 0.04
    assert day.talk_seconds > simulate_day(plan, Pacer()).talk_seconds


def test_bench_reports_every_pacing_and_no_violations(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_dialer_bench(agents=5, answer_rate=0.3, aht=180, hours=0.5, seed=2, only=True, days=2)
    assert [(r["pacing"], r["day"]) for r in report["runs"]] == [
        (pacing, day) for pacing in ("predictive", "adapt", "progressive") for day in (1, 2)]
    assert report["violations"] == 0
    assert [d["day"] for d in report["by_day"]] == [1, 2]
    first, second = (r for r in report["runs"] if r["pacing"] == "predictive")
    # the campaign's rate is over both days' people (each day dials a list of its own)
    assert second["abandon_rate_us_campaign"] == pytest.approx(
        (first["abandoned"] + second["abandoned"]) / (first["lives"] + second["lives"]), abs=1e-4)
    assert report["talk_ceiling_min_per_agent_hour"] == pytest.approx(60 * 175 / 180, abs=0.01)
    assert all(r["talk_min_per_agent_hour"] < report["talk_ceiling_min_per_agent_hour"] for r in report["runs"])
    assert "out-of-window dials 0" in capsys.readouterr().out


def test_connect_share_is_the_share_of_recent_dials_even_when_the_windows_are_full() -> None:
    stats = DialStats(size=100, min_samples=10)
    for i in range(1000):
        stats.resolved(10.0, connect=i % 4 == 0)
    assert stats.connect_share() == pytest.approx(0.25)
    assert stats.connect_chance(0.0, 0.25) == pytest.approx(0.25)
    assert stats.connect_chance(11.0, 0.25) == 0.0  # every line resolves at 10 s: none left to connect


@given(st.floats(0.0, 20.0), st.integers(0, 30))
def test_poisson_tail_is_a_probability_that_falls_as_the_room_grows(mean: float, count: int) -> None:
    tail = poisson_beyond(mean, count)
    assert 0.0 <= tail <= 1.0
    assert poisson_beyond(mean, count + 1) <= tail
    assert poisson_beyond(1.0, 0) == pytest.approx(1 - math.exp(-1))


def test_under_the_ofcom_rule_the_machines_amd_may_have_misjudged_spend_the_room() -> None:
    state = PacingState(T0 + 2000, ready=5, busy_elapsed=(170.0,) * 15)
    us, ofcom = (taught(PredictivePacer(target=0.03, ledger=AbandonLedger(false_positive=0.05))) for _ in range(2))
    ofcom.retarget(0.03, OFCOM, 0.05)
    for pacer in (us, ofcom):
        for i in range(600):
            pacer.machine(T0 + 1000 + i)
    # US: 30 abandons of room; Ofcom: (0 + 0.05 * 600) / (1000 + 30) is over 3% already
    assert us.lines(state) > 5 and us.fallbacks == 0
    assert ofcom.lines(state) == 5 and ofcom.fallbacks == 1


def test_a_campaigns_next_day_dials_a_new_list_with_what_its_pacer_learned_the_day_before() -> None:
    pacer = PredictivePacer(target=0.03)
    first = simulate_day(DayPlan(agents=20, hours=1.0, seed=3), pacer)
    fell_back = pacer.fallbacks  # seconds dialled progressively: a new campaign has no room and no model yet
    second = simulate_day(DayPlan(agents=20, hours=1.0, seed=3, day=1), pacer)
    assert fell_back > 300
    assert pacer.fallbacks - fell_back < fell_back / 10
    assert second.talk_seconds > first.talk_seconds
    dialled = [{lead_id for _, kind, lead_id, _ in day.events if kind == "dial"} for day in (first, second)]
    assert dialled[0] and dialled[1] and not dialled[0] & dialled[1]  # a list of its own
    assert min(at for at, *_ in second.events) >= max(at for at, *_ in first.events) + 12 * 3600


def test_a_restored_model_paces_as_the_one_it_was_saved_from() -> None:
    learned = taught(PredictivePacer(target=0.03))
    stats = DialStats()
    stats.restore(json.loads(json.dumps(learned.stats.snapshot())))  # through a JSON column
    restored = PredictivePacer(target=0.03, stats=stats, ledger=learned.ledger)
    assert stats.learned(20) and stats.connect_share() == pytest.approx(0.3)
    for state in (PacingState(T0 + 2000, ready=5, busy_elapsed=(170.0,) * 15),
                  PacingState(T0 + 2001, ready=0, busy_elapsed=(30.0, 200.0, 290.0) * 5, ringing_elapsed=(3.0, 12.0),
                              wrapping_elapsed=(4.0,))):
        assert restored.lines(state) == learned.lines(state)
    assert restored.fallbacks == 0


@given(st.lists(st.floats(0.0, 3600.0), max_size=50), st.lists(st.booleans(), max_size=50))
def test_a_snapshot_gives_back_its_samples(durations: list[float], dials: list[bool]) -> None:
    stats = DialStats(size=40, share_size=30)
    for value, connect in zip(durations, dials, strict=False):
        stats.resolved(value, connect=connect)
    for value in durations:
        stats.talks.add(value)
    again = DialStats(size=40, share_size=30)
    again.restore(stats.snapshot())
    for name in ("connects", "others", "talks", "wraps"):
        assert list(getattr(again, name).order) == pytest.approx(list(getattr(stats, name).order), abs=0.005)
    assert (list(again.recent), again.recent_connects) == (list(stats.recent), stats.recent_connects)


@pytest.mark.parametrize("model", [
    None, [], {}, {"version": 2, "connects": [], "others": [], "talks": [], "wraps": [], "recent": ""},
    {"version": 1, "connects": [1.0], "others": [], "talks": [], "wraps": []},
    {"version": 1, "connects": [-1.0], "others": [], "talks": [], "wraps": [], "recent": ""},
    {"version": 1, "connects": ["nan"], "others": [], "talks": [], "wraps": [], "recent": ""},
    {"version": 1, "connects": [1.0], "others": 5, "talks": [], "wraps": [], "recent": ""},
    {"version": 1, "connects": [], "others": [], "talks": [], "wraps": [], "recent": "01x"},
    {"version": 1, "connects": [1e15], "others": [], "talks": [], "wraps": [], "recent": ""},  # a grid too big
    {"version": 1, "connects": "123", "others": [], "talks": [], "wraps": [], "recent": ""},
    {"version": 1, "connects": [], "others": [], "talks": [], "wraps": [], "recent": 101},
    {"version": 1, "connects": ["12"], "others": [], "talks": [], "wraps": [], "recent": ""},
])
def test_a_stored_model_that_is_not_one_is_refused_and_nothing_is_learned(model: Any) -> None:
    stats = DialStats()
    with pytest.raises(PacingError, match="pacing model"):
        stats.restore(model)
    assert (len(stats.connects), len(stats.recent)) == (0, 0)


def test_a_predictive_pacer_says_whether_it_predicts_learns_or_waits_for_abandon_room() -> None:
    state = PacingState(T0 + 2000, ready=5, busy_elapsed=(170.0,) * 15)
    new = PredictivePacer(target=0.03)
    assert new.lines(state) == 5 and new.state == LEARNING  # one line per free agent until it has learned
    learned = taught(PredictivePacer(target=0.03))
    assert learned.lines(state) > 5 and learned.state == PREDICTING
    spent = taught(PredictivePacer(target=0.03), abandoned=30)  # 30 of 1000: no room for one more
    assert spent.lines(state) == 5 and spent.state == AT_LIMIT
    settling = taught(PredictivePacer(target=0.03))  # a restarted dialer's: earlier lines may still ring
    settling.settle_until = state.now + 1
    assert settling.lines(state) == 5 and settling.state == LEARNING
    assert settling.lines(dataclasses.replace(state, now=state.now + 1)) > 5

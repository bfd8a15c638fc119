"""The wall's campaign tiles (pure): both abandon formulas over their windows, the colour the target gives,
answer rate and talk per agent-hour; agents' logged-in time from their state changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reports.campaign_kpis import CampaignTile, campaign_tile, logged_in_seconds

NOW = 1_800_000_000.0


def test_each_abandon_rate_reads_its_own_window_and_the_campaigns_rule_sets_the_colour() -> None:
    def tile(formula: str) -> CampaignTile:
        return campaign_tile(1, "spring", "predictive", month={"answered": 97, "abandoned": 3},
                             day={"answered": 9, "abandoned": 1, "machine": 10}, hour={"answered": 4, "no_answer": 6},
                             talk_seconds_hour=1800, agent_hours_hour=2.0, penetration=0.25, abandon_target=0.03,
                             abandon_formula=formula, dial_level=2.5, false_positive=0.1, pacing="learning")
    us, ofcom = tile("us"), tile("ofcom")
    assert us.abandon_rate_us == ofcom.abandon_rate_us == 0.03
    assert us.abandon_rate_ofcom == (1 + 1) / (10 + 1)  # one of ten machines guessed a person
    assert (us.colour, ofcom.colour) == ("warn", "alert")  # at the US target; far over Ofcom's
    assert (us.answer_rate, us.talk_min_per_agent_hour, us.dial_level) == (0.4, 15.0, 2.5)
    assert us.to_json()["pacing"] == "learning"  # the dialer's word, as the wall shows it


def test_a_campaign_under_its_target_is_green_then_yellow_near_it() -> None:
    def colour(abandoned: int) -> str:
        return campaign_tile(1, "s", "progressive", month={"answered": 100 - abandoned, "abandoned": abandoned},
                             day={}, hour={}, talk_seconds_hour=0, agent_hours_hour=0, penetration=0,
                             abandon_target=0.05).colour
    assert (colour(1), colour(5), colour(6)) == ("ok", "warn", "alert")
    quiet = campaign_tile(1, "s", "preview", month={}, day={}, hour={}, talk_seconds_hour=0, agent_hours_hour=0,
                          penetration=0, abandon_target=0.03)
    assert (quiet.answer_rate, quiet.talk_min_per_agent_hour, quiet.abandon_rate_us) == (None, None, 0.0)


def test_logged_in_time_counts_the_state_before_the_first_change_and_clips_to_the_window() -> None:
    start, end = NOW - 3600, NOW
    changes = [(NOW - 7200, "a1", "logged_out", "ready"),  # logged in before the window: counts from its start
               (NOW - 1800, "a1", "ready", "logged_out"),
               (NOW - 600, "a2", "on_call", "wrap_up")]  # no earlier change read: on call from the window's start
    assert logged_in_seconds(changes, start, end) == {"a1": 1800.0, "a2": 3600.0}


@given(st.lists(st.tuples(st.floats(0, 7200), st.sampled_from(["a", "b"]),
                          st.sampled_from(["ready", "logged_out", "on_call"]),
                          st.sampled_from(["ready", "logged_out", "on_call"])), max_size=30))
def test_no_agent_is_logged_in_longer_than_the_window(changes: list[tuple[float, str, str, str]]) -> None:
    changes.sort()
    found = logged_in_seconds(changes, 3600.0, 7200.0)
    assert all(0 < seconds <= 3600.0 for seconds in found.values())

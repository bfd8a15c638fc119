import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from outbound_helpers import AU_MOBILE, FLORIDA, IDAHO, NY, PARIS, RU_MOBILE, TOLL_FREE, at, in_default_window, number

from acd.hours import OpeningRange
from outbound.numbers import DialNumber
from outbound.windows import ALL_DAYS, CallingWindow, CallingWindows, WindowRules


def windows(**overrides: CallingWindow) -> CallingWindows:
    return CallingWindows(WindowRules(overrides=overrides))


@pytest.mark.parametrize(("hour", "minute", "open_"), [(7, 59, False), (8, 0, True), (20, 59, True), (21, 0, False)])
def test_default_window_edges_in_the_callees_local_time(hour: int, minute: int, open_: bool) -> None:
    state = windows().state(number(NY), at("America/New_York", 2025, 6, 10, hour, minute))
    assert state.open is open_


def test_an_open_window_says_when_it_closes_and_a_closed_one_when_it_opens() -> None:
    w = windows()
    assert w.state(number(NY), at("America/New_York", 2025, 6, 10, 12)).until == at("America/New_York", 2025, 6, 10, 21)
    closed = w.state(number(NY), at("America/New_York", 2025, 6, 10, 22, 30))
    assert closed.until == at("America/New_York", 2025, 6, 11, 8)
    assert "America/New_York" in closed.why


def test_spring_forward_in_new_york_opens_at_eight_local_daylight_time() -> None:
    # 2025-03-09 02:00 EST jumps to 03:00 EDT: 08:00 that day is 12:00 UTC, not 13:00.
    night = at("America/New_York", 2025, 3, 8, 22)
    state = windows().state(number(NY), night)
    assert state.until == dt.datetime(2025, 3, 9, 12, tzinfo=dt.UTC).timestamp()
    assert not windows().state(number(NY), dt.datetime(2025, 3, 9, 11, 59, tzinfo=dt.UTC).timestamp()).open


def test_fall_back_in_new_york_closes_at_nine_local_standard_time() -> None:
    # 2025-11-02 02:00 EDT falls back to 01:00 EST: that evening 21:00 is 02:00 UTC on the 3rd.
    state = windows().state(number(NY), at("America/New_York", 2025, 11, 2, 12))
    assert state.open and state.until == dt.datetime(2025, 11, 3, 2, tzinfo=dt.UTC).timestamp()


def test_dst_change_in_europe_moves_the_window_with_the_local_clock() -> None:
    w = windows()
    # Paris switches on 2025-03-30: 08:00 is 07:00 UTC the day before, 06:00 UTC that day.
    assert w.state(number(PARIS), at("Europe/Paris", 2025, 3, 29, 22)).until == \
        dt.datetime(2025, 3, 30, 6, tzinfo=dt.UTC).timestamp()
    assert not w.state(number(PARIS), dt.datetime(2025, 3, 29, 6, 30, tzinfo=dt.UTC).timestamp()).open
    assert w.state(number(PARIS), dt.datetime(2025, 3, 30, 6, 30, tzinfo=dt.UTC).timestamp()).open


def test_a_number_over_two_zones_is_called_only_when_both_are_inside() -> None:
    idaho = number(IDAHO)
    assert idaho.time_zones == ("America/Boise", "America/Los_Angeles")
    w = windows()
    boise_8_la_7 = dt.datetime(2025, 6, 10, 14, 30, tzinfo=dt.UTC).timestamp()  # 08:30 in Boise, 07:30 in LA
    state = w.state(idaho, boise_8_la_7)
    assert not state.open and "America/Los_Angeles" in state.why
    assert state.until == at("America/Los_Angeles", 2025, 6, 10, 8)
    late = w.state(idaho, at("America/Los_Angeles", 2025, 6, 10, 12))
    assert late.open and late.until == at("America/Boise", 2025, 6, 10, 21)  # 20:00 in LA


def test_a_russian_mobile_gets_only_the_hours_every_russian_zone_shares() -> None:
    mobile = number(RU_MOBILE)
    assert {"Europe/Bucharest", "Asia/Anadyr", "Europe/Moscow"} <= set(mobile.time_zones)
    w = windows()
    # Kaliningrad's stand-in zone at UTC+2 and Anadyr at UTC+12 share 06:00-09:00 UTC in February.
    assert not w.state(mobile, dt.datetime(2025, 2, 11, 5, 59, tzinfo=dt.UTC).timestamp()).open
    state = w.state(mobile, dt.datetime(2025, 2, 11, 6, 0, tzinfo=dt.UTC).timestamp())
    assert state.open and state.until == dt.datetime(2025, 2, 11, 9, tzinfo=dt.UTC).timestamp()


def test_an_australian_mobile_waits_for_perth_and_closes_with_lord_howe() -> None:
    mobile = number(AU_MOBILE)
    assert len(mobile.time_zones) > 4
    start = dt.datetime(2025, 6, 10, tzinfo=dt.UTC).timestamp()
    for minute in range(0, 24 * 60, 7):
        t = start + minute * 60
        assert windows().state(mobile, t).open == in_default_window(mobile, t)


def test_a_nanp_wide_number_gets_the_hours_guam_and_american_samoa_share() -> None:
    toll_free = number(TOLL_FREE)
    assert {"Pacific/Guam", "Pacific/Pago_Pago", "America/St_Johns"} <= set(toll_free.time_zones)
    state = windows().state(toll_free, at("America/New_York", 2025, 6, 10, 12))
    assert not state.open and state.until == at("Pacific/Guam", 2025, 6, 11, 8)


def test_a_number_whose_zones_never_share_the_window_is_never_callable() -> None:
    nine_to_five = CallingWindow((OpeningRange(ALL_DAYS, 9 * 60, 17 * 60),))
    far_apart = DialNumber("+10000000000", 10000000000, None, None, "unknown", ("America/New_York", "Asia/Shanghai"))
    state = CallingWindows(WindowRules(default=nine_to_five)).state(far_apart, at("America/New_York", 2025, 6, 10, 12))
    assert not state.open and state.until is None


def test_a_number_with_no_known_zone_is_never_callable() -> None:
    unknown = DialNumber("+15555550100", 15555550100, "US", None, "unknown", ())
    state = windows().state(unknown, at("America/New_York", 2025, 6, 10, 12))
    assert not state.open and state.until is None and "time zone" in state.why


def test_public_holidays_close_the_window_unless_the_override_calls_on_them() -> None:
    independence_day = at("America/New_York", 2025, 7, 4, 12)
    state = windows().state(number(NY), independence_day)
    assert not state.open and "Independence Day" in state.why
    assert state.until == at("America/New_York", 2025, 7, 5, 8)
    assert windows(US=CallingWindow(on_holidays=True)).state(number(NY), independence_day).open


def test_state_holidays_follow_the_numbers_subdivision() -> None:
    # The Friday after Thanksgiving is a Florida state holiday, a working day in New York.
    friday = at("America/New_York", 2025, 11, 28, 12)
    assert not windows().state(number(FLORIDA), friday).open
    assert windows().state(number(NY), friday).open


def test_the_most_specific_region_override_wins() -> None:
    eight_to_eight = CallingWindow((OpeningRange(ALL_DAYS, 8 * 60, 20 * 60),))
    nine_to_five = CallingWindow((OpeningRange(ALL_DAYS, 9 * 60, 17 * 60),))
    w = windows(**{"US-FL": eight_to_eight, "US": nine_to_five})
    evening = at("America/New_York", 2025, 6, 10, 19, 30)
    assert w.state(number(FLORIDA), evening).open
    assert not w.state(number(FLORIDA), at("America/New_York", 2025, 6, 10, 20, 0)).open
    assert not w.state(number(NY), evening).open
    assert w.state(number(PARIS), at("Europe/Paris", 2025, 6, 10, 20, 30)).open  # default elsewhere


def test_weekday_ranges_and_a_lunch_break() -> None:
    weekdays = frozenset(range(5))
    french_style = CallingWindow((OpeningRange(weekdays, 10 * 60, 13 * 60), OpeningRange(weekdays, 14 * 60, 20 * 60)))
    w = windows(FR=french_style)
    paris = number(PARIS)
    lunch = w.state(paris, at("Europe/Paris", 2025, 6, 10, 13, 30))  # a Tuesday
    assert not lunch.open and lunch.until == at("Europe/Paris", 2025, 6, 10, 14)
    friday_evening = w.state(paris, at("Europe/Paris", 2025, 6, 13, 20, 5))
    assert friday_evening.until == at("Europe/Paris", 2025, 6, 16, 10)  # Monday


def test_adjacent_ranges_join_over_midnight() -> None:
    always = CallingWindow((OpeningRange(ALL_DAYS, 0, 24 * 60),), on_holidays=True)
    state = windows(US=always).state(number(NY), at("America/New_York", 2025, 6, 10, 12))
    assert state.open and state.until is not None
    assert state.until - at("America/New_York", 2025, 6, 10, 12) > 7 * 86400


class NoHolidays:
    def holiday_name(self, region: str | None, subdivision: str | None, day: dt.date) -> str | None:
        return None


def test_the_holiday_calendar_is_injected() -> None:
    w = CallingWindows(WindowRules(), NoHolidays())
    assert w.state(number(NY), at("America/New_York", 2025, 7, 4, 12)).open


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([NY, IDAHO, FLORIDA, PARIS, RU_MOBILE, AU_MOBILE]),
       st.integers(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp().__int__() // 60,
                   dt.datetime(2026, 12, 31, tzinfo=dt.UTC).timestamp().__int__() // 60))
def test_window_state_and_its_change_time_agree_with_local_clocks(text: str, minute: int) -> None:
    dial = number(text)
    t = minute * 60.0
    state = windows().state(dial, t)
    assert state.open == in_default_window(dial, t)
    assert state.until is not None and state.until > t
    # Nothing changes before ``until``; at ``until`` it has changed.
    assert in_default_window(dial, state.until - 1) == state.open
    assert in_default_window(dial, state.until) != state.open

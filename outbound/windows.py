"""Calling windows in the callee's local time: when a number may be called at all.

The law's floor (US TSR/TCPA) is 08:00-21:00 in the callee's local time; that is the default
:class:`CallingWindow`. :class:`WindowRules` overrides it per region key, most specific first:
``"US-FL"`` (state, from :attr:`DialNumber.region_key`), then ``"US"``, then the default. A window is a
set of weekday ranges (:class:`acd.hours.OpeningRange`, minutes after local midnight) and is closed on
the public holidays of the number's country and subdivision (from the maintained ``holidays`` library)
unless ``on_holidays``.

A number whose area spans several time zones may be called only when the window is open in **every**
one of them, each judged by its own local clock, date and holidays. A number with no known zone is
never in its window: we do not guess a callee's local time (the conservative choice; ``parse_number``
rejects invalid numbers, so this is rare).

:class:`CallingWindows` answers :meth:`~CallingWindows.state` with whether the window is open and when
that changes (closes, or next opens), which lets the hopper gate whole groups of leads and wake them
without scanning. Results are memoised per locale (region, subdivision, zones) for the span in which they
hold, so most calls are a dict look-up. Wall-clock arithmetic goes through ``zoneinfo``, so DST changes
move the window with the callee's clock; a boundary inside a DST gap maps as ``fold=0`` does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import zoneinfo
from collections.abc import Mapping
from typing import Protocol

import holidays

from acd.hours import OpeningRange
from outbound.numbers import DialNumber

ALL_DAYS = frozenset(range(7))
DAY = 86400.0
#: How far ahead a closed window's next opening is searched; beyond it the number counts as never callable.
HORIZON_DAYS = 14


@dataclasses.dataclass(frozen=True, slots=True)
class CallingWindow:
    """Local times a callee may be called: weekday ranges, closed on public holidays unless ``on_holidays``."""

    ranges: tuple[OpeningRange, ...] = (OpeningRange(ALL_DAYS, 8 * 60, 21 * 60),)
    on_holidays: bool = False

    def describe(self) -> str:
        spans = ", ".join(f"{r.start // 60:02d}:{r.start % 60:02d}-{r.end // 60:02d}:{r.end % 60:02d}"
                          for r in self.ranges)
        return spans or "never"


@dataclasses.dataclass(frozen=True)
class WindowRules:
    """The default window and overrides by region key (``"US"``, ``"US-FL"``)."""

    default: CallingWindow = CallingWindow()
    overrides: Mapping[str, CallingWindow] = dataclasses.field(default_factory=dict)

    def window_for(self, region: str | None, subdivision: str | None) -> CallingWindow:
        if region is not None:
            if subdivision is not None:
                found = self.overrides.get(f"{region}-{subdivision}")
                if found is not None:
                    return found
            found = self.overrides.get(region)
            if found is not None:
                return found
        return self.default


class HolidayCalendar(Protocol):
    """Tells whether a local date is a public holiday for a region (and subdivision)."""

    def holiday_name(self, region: str | None, subdivision: str | None, day: dt.date) -> str | None: ...


class PublicHolidays:
    """Public holidays from the ``holidays`` library; one year of one region is computed once and kept."""

    def __init__(self) -> None:
        self._years: dict[tuple[str, str | None, int], dict[dt.date, str]] = {}

    def holiday_name(self, region: str | None, subdivision: str | None, day: dt.date) -> str | None:
        if region is None:
            return None
        key = (region, subdivision, day.year)
        year = self._years.get(key)
        if year is None:
            year = self._years[key] = _holidays_of(region, subdivision, day.year)
        return year.get(day)


def _holidays_of(region: str, subdivision: str | None, year: int) -> dict[dt.date, str]:
    try:
        found = holidays.country_holidays(region, subdiv=subdivision, years=year)
    except NotImplementedError:
        if subdivision is None:
            return {}
        return _holidays_of(region, None, year)
    return {day: str(name) for day, name in found.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class WindowState:
    """Whether the window is open at a time and when that changes.

    Open: ``until`` is when it closes. Closed: ``until`` is when it next opens in every zone at once, or
    ``None`` when that does not happen within the horizon. ``why`` says, when closed, what closed it.
    """

    open: bool
    until: float | None
    why: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class _Span:
    start: float
    end: float
    state: WindowState


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _epoch(day: dt.date, minute: int, zone: zoneinfo.ZoneInfo) -> float:
    """Epoch seconds of ``minute`` after local midnight of ``day`` (wall-clock, so DST-aware)."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return (midnight + dt.timedelta(minutes=minute)).timestamp()


class CallingWindows:
    """Evaluates :class:`WindowRules` for numbers at times; memoises each locale's current span."""

    def __init__(self, rules: WindowRules, calendar: HolidayCalendar | None = None) -> None:
        self.rules = rules
        self.calendar: HolidayCalendar = calendar if calendar is not None else PublicHolidays()
        self._spans: dict[tuple[str | None, str | None, tuple[str, ...]], _Span] = {}

    def state(self, number: DialNumber, now: float) -> WindowState:
        """Whether ``number`` may be called at ``now`` as far as the calling window goes."""
        return self.locale_state(number.region, number.subdivision, number.time_zones, now)

    def locale_state(self, region: str | None, subdivision: str | None, zones: tuple[str, ...],
                     now: float) -> WindowState:
        key = (region, subdivision, zones)
        span = self._spans.get(key)
        if span is None or not span.start <= now < span.end:
            state = self._compute(region, subdivision, zones, now)
            end = state.until if state.until is not None else now + HORIZON_DAYS * DAY
            span = self._spans[key] = _Span(now, end, state)
        return span.state

    def _compute(self, region: str | None, subdivision: str | None, zones: tuple[str, ...],
                 now: float) -> WindowState:
        if not zones:
            return WindowState(False, None, "no known time zone for this number")
        window = self.rules.window_for(region, subdivision)
        limit = now + HORIZON_DAYS * DAY
        at = now
        why = ""
        while at <= limit:
            changes: list[float] = []
            closed_until = at
            for name in zones:
                is_open, change, reason = self._zone_state(window, region, subdivision, _zone(name), at)
                if is_open:
                    changes.append(change)
                    continue
                if not why:
                    why = f"{reason} in {name} (window {window.describe()})"
                closed_until = max(closed_until, change)
            if closed_until == at:
                return WindowState(True, min(changes)) if at == now else WindowState(False, at, why)
            # Some zone is closed until ``closed_until``: no instant before it has every zone open.
            at = closed_until
        return WindowState(False, None, why)

    def _ranges_on(self, window: CallingWindow, region: str | None, subdivision: str | None,
                   day: dt.date) -> tuple[list[OpeningRange], str]:
        if not window.on_holidays:
            holiday = self.calendar.holiday_name(region, subdivision, day)
            if holiday is not None:
                return [], f"public holiday ({holiday})"
        weekday = day.weekday()
        return sorted((r for r in window.ranges if weekday in r.days), key=lambda r: r.start), "outside hours"

    def _zone_state(self, window: CallingWindow, region: str | None, subdivision: str | None,
                    zone: zoneinfo.ZoneInfo, at: float) -> tuple[bool, float, str]:
        """(open, when that changes, why closed) for one zone; ``inf``: no opening within the horizon."""
        local = dt.datetime.fromtimestamp(at, zone)
        day = local.date()
        minute = local.hour * 60 + local.minute + local.second / 60
        ranges, why = self._ranges_on(window, region, subdivision, day)
        for r in ranges:
            if r.start <= minute < r.end:
                return True, self._close_after(window, region, subdivision, zone, day, r.end, at), ""
        for offset in range(HORIZON_DAYS + 1):
            later = day + dt.timedelta(days=offset)
            for r in (ranges if offset == 0 else self._ranges_on(window, region, subdivision, later)[0]):
                if offset or r.start > minute:
                    opens = _epoch(later, r.start, zone)
                    if opens > at:
                        return False, opens, why
        return False, math.inf, why

    def _close_after(self, window: CallingWindow, region: str | None, subdivision: str | None,
                     zone: zoneinfo.ZoneInfo, day: dt.date, end: int, at: float) -> float:
        """When a range ending at ``end`` on ``day`` really closes: adjacent ranges (also over midnight) join."""
        closes = _epoch(day, end, zone)
        for _ in range(HORIZON_DAYS * 4):
            if closes <= at:  # a boundary inside a DST gap; look again a minute on
                closes = at + 60
            local = dt.datetime.fromtimestamp(closes, zone)
            minute = local.hour * 60 + local.minute
            ranges, _ = self._ranges_on(window, region, subdivision, local.date())
            joined = next((r for r in ranges if r.start <= minute < r.end), None)
            if joined is None:
                return closes
            at = closes
            closes = _epoch(local.date(), joined.end, zone)
        return closes

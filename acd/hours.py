"""Opening hours of a queue: weekday ranges of local time in one time zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursError(ValueError):
    """An opening-hours declaration cannot be understood."""


@dataclasses.dataclass(frozen=True, slots=True)
class OpeningRange:
    """Open on ``days`` (0 = Monday) from ``start`` to ``end`` minutes after local midnight."""

    days: frozenset[int]
    start: int
    end: int


@dataclasses.dataclass(frozen=True, slots=True)
class OpeningHours:
    """When a queue takes calls; no ranges means always open."""

    timezone: str = "UTC"
    ranges: tuple[OpeningRange, ...] = ()

    def is_open(self, epoch: float) -> bool:
        if not self.ranges:
            return True
        local = dt.datetime.fromtimestamp(epoch, zoneinfo.ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        return any(day in r.days and r.start <= minute < r.end for r in self.ranges)


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        try:
            a = WEEKDAYS.index(first)
            b = WEEKDAYS.index(last) if last else a
        except ValueError:
            raise HoursError(f"unknown weekday in {text!r} (use {', '.join(WEEKDAYS)})") from None
        # A range such as "sat-mon" wraps over the week's end.
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days.update(span)
    return frozenset(days)


def _parse_minute(text: str) -> int:
    try:
        hours, minutes = (int(x) for x in text.split(":"))
    except ValueError:
        raise HoursError(f"bad time {text!r}: use HH:MM") from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise HoursError(f"bad time {text!r}: outside 00:00-24:00")
    return hours * 60 + minutes


def parse_opening_hours(timezone: str, entries: list[dict[str, str]]) -> OpeningHours:
    """Build hours from ``[{days = "mon-fri", open = "08:00", close = "18:00"}, ...]``."""
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown time zone {timezone!r}") from None
    ranges = []
    for entry in entries:
        missing = {"days", "open", "close"} - set(entry)
        if missing:
            raise HoursError(f"opening range {entry!r} lacks {', '.join(sorted(missing))}")
        start, end = _parse_minute(entry["open"]), _parse_minute(entry["close"])
        if end <= start:
            raise HoursError(f"opening range {entry!r} closes before it opens")
        ranges.append(OpeningRange(_parse_days(entry["days"]), start, end))
    return OpeningHours(timezone, tuple(ranges))

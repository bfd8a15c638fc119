"""Shared pieces of the outbound tests: numbers, times in a zone, a settable clock, an independent window oracle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import zoneinfo

import holidays

from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.eligibility import Eligibility
from outbound.leads import Lead
from outbound.numbers import DialNumber, parse_number
from outbound.rules import RuleSet

NY = "+12125550100"  # America/New_York, New York state
IDAHO = "+12085550100"  # America/Boise and America/Los_Angeles
FLORIDA = "+13055550100"
PARIS = "+33142685300"
RU_MOBILE = "+79161234567"  # every Russian zone (and Almaty): phonenumbers cannot place a mobile
AU_MOBILE = "+61412345678"
TOLL_FREE = "+18005550100"  # NANP-wide: Guam to Bermuda, no common window


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    """Epoch seconds of a wall-clock time in ``zone``."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=zoneinfo.ZoneInfo(zone)).timestamp()


@functools.cache
def number(text: str) -> DialNumber:
    return parse_number(text)


def variant(template: DialNumber, serial: int) -> DialNumber:
    """Another line with the template's facts (region, zones): its last six digits replaced."""
    digits = template.digits // 1_000_000 * 1_000_000 + serial % 1_000_000
    return dataclasses.replace(template, e164=f"+{digits}", digits=digits)


def lead(lead_id: int, text_or_number: str | DialNumber, *, campaign: str = "spring", created_at: float = 0.0,
         tier: int = 0) -> Lead:
    dial = number(text_or_number) if isinstance(text_or_number, str) else text_or_number
    return Lead(lead_id, campaign, dial, created_at=created_at or float(lead_id), tier_priority=tier)


def eligibility(rules: RuleSet | None = None, dnc: DncList | None = None,
                contacts: ContactLog | None = None) -> Eligibility:
    return Eligibility(rules or RuleSet(), dnc if dnc is not None else DncList(),
                       contacts if contacts is not None else ContactLog())


@functools.cache
def _holiday_dates(region: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(region, subdiv=subdivision, years=year))


def in_default_window(dial: DialNumber, t: float) -> bool:
    """The law's window, worked out directly: 08:00-21:00 local and no public holiday, in every zone."""
    if not dial.time_zones:
        return False
    for name in dial.time_zones:
        local = dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(name))
        if dial.region and local.date() in _holiday_dates(dial.region, dial.subdivision, local.year):
            return False
        if not 8 <= local.hour < 21:
            return False
    return True

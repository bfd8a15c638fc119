"""May this lead be dialled now? The ordered checks, each decision told with the rule that made it.

:meth:`Eligibility.decide` is a pure function of the lead, its history, the lists and the time given;
it reads no clock. The checks run in this order and the first that fails decides (later ones are not
looked at):

1. ``dnc`` — the number is on the internal list, the campaign's list or the national registry.
2. ``attempts`` — the lead used up ``max_attempts``.
3. ``callback`` — a call-back is scheduled for later (until then the lead waits; once due it goes first
   and its last outcome's retry rule no longer applies: the customer asked to be called).
4. ``retry`` — the last outcome's retry rule says no more tries, or its delay has not passed.
5. ``attempts_per_day`` — ``max_attempts_per_day`` dials in the callee's local day. For a number over
   several zones the day starts at the earliest local midnight among them (counting the most dials).
6. ``other_campaign`` — another campaign dialled the number less than ``other_campaign_gap`` ago.
7. ``window`` — outside the calling window in some zone of the number (:mod:`outbound.windows`).

The window comes last on purpose: a lead skipped for ``window`` passed every other rule, so the hopper
can hold it in a group gated by its locale's window and release it when that opens, without another
look at each lead. ``Decision.next_at`` is when the deciding rule stops blocking (a retry delay ends, the
window opens), ``None`` when no time will do it (on a list, out of attempts, no retry).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import zoneinfo

from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.leads import Lead, LeadHistory
from outbound.rules import (
    RULE_ATTEMPTS,
    RULE_CALLBACK,
    RULE_DAILY_ATTEMPTS,
    RULE_DNC,
    RULE_ELIGIBLE,
    RULE_OTHER_CAMPAIGN,
    RULE_RETRY,
    RULE_WINDOW,
    RuleSet,
)
from outbound.windows import CallingWindows, HolidayCalendar

_UTC_ONLY = ("UTC",)


def format_time(epoch: float) -> str:
    """``2025-03-09 14:00:00Z``: the UTC time a story line shows."""
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch))


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    """Released or skipped, why, under which rule set version, and when the lead may be eligible again."""

    lead_id: int
    campaign: str
    e164: str
    at: float
    released: bool
    rule: str
    reason: str
    rules_version: str
    next_at: float | None = None

    def describe(self) -> str:
        """One line of a number's story."""
        verdict = "released for dialling" if self.released else f"skipped by {self.rule}: {self.reason}"
        line = f"{format_time(self.at)} {self.campaign} lead {self.lead_id} {verdict} (rules v{self.rules_version})"
        if self.next_at is not None:
            line += f"; may be eligible from {format_time(self.next_at)}"
        return line


def _day_start(zones: tuple[str, ...], at: float) -> float:
    """The earliest start of the local day containing ``at`` among ``zones``."""
    starts = []
    for name in zones:
        zone = zoneinfo.ZoneInfo(name)
        local = dt.datetime.fromtimestamp(at, zone)
        starts.append(dt.datetime(local.year, local.month, local.day, tzinfo=zone).timestamp())
    return min(starts)


def _next_midnights(zones: tuple[str, ...], at: float) -> list[float]:
    """Every zone's next two local midnights after ``at``, in time order."""
    found = []
    for name in zones:
        zone = zoneinfo.ZoneInfo(name)
        day = dt.datetime.fromtimestamp(at, zone).date()
        for offset in (1, 2):
            later = day + dt.timedelta(days=offset)
            found.append(dt.datetime(later.year, later.month, later.day, tzinfo=zone).timestamp())
    return sorted(found)


class Eligibility:
    """The rule set applied to leads: :meth:`decide` at a given time."""

    def __init__(self, rules: RuleSet, dnc: DncList, contacts: ContactLog, *,
                 calendar: HolidayCalendar | None = None) -> None:
        self.rules = rules
        self.dnc = dnc
        self.contacts = contacts
        self.windows = CallingWindows(rules.windows, calendar)

    def _decision(self, lead: Lead, now: float, released: bool, rule: str, reason: str,
                  next_at: float | None = None) -> Decision:
        return Decision(lead.id, lead.campaign, lead.number.e164, now, released, rule, reason,
                        self.rules.version, next_at)

    def decide(self, lead: Lead, history: LeadHistory, now: float) -> Decision:
        """Whether ``lead`` may be dialled at ``now``; see the module doc for the order of the rules."""
        rules = self.rules
        number = lead.number
        hit = self.dnc.blocks(number.digits, lead.campaign)
        if hit is not None:
            return self._decision(lead, now, False, RULE_DNC, hit.describe())
        if history.attempts >= rules.max_attempts:
            return self._decision(lead, now, False, RULE_ATTEMPTS, f"all {rules.max_attempts} attempts used")
        callback = history.callback_at
        if callback is not None and callback > now:
            return self._decision(lead, now, False, RULE_CALLBACK,
                                  f"call-back scheduled for {format_time(callback)}", callback)
        outcome = history.last_outcome
        if callback is None and outcome is not None:
            retry = rules.retry.get(outcome)
            if retry is None or not retry.retry:
                return self._decision(lead, now, False, RULE_RETRY, f"no retry after {outcome}")
            last = history.last_outcome_at if history.last_outcome_at is not None else now
            if now < last + retry.delay:
                return self._decision(lead, now, False, RULE_RETRY,
                                      f"retry after {outcome} waits {retry.delay:.0f}s", last + retry.delay)
        daily = rules.max_attempts_per_day
        if len(history.recent_dials) >= daily:
            blocked = self._daily_block(number.time_zones or _UTC_ONLY, history.recent_dials, daily, now)
            if blocked is not None:
                return self._decision(lead, now, False, RULE_DAILY_ATTEMPTS,
                                      f"{daily} dials already today (callee's local day)", blocked)
        gap = rules.other_campaign_gap
        if gap > 0:
            other = self.contacts.last_by_other(number.digits, lead.campaign)
            if other is not None and now < other[0] + gap:
                return self._decision(lead, now, False, RULE_OTHER_CAMPAIGN,
                                      f"dialled by campaign {other[1]} at {format_time(other[0])}", other[0] + gap)
        window = self.windows.state(number, now)
        if not window.open:
            return self._decision(lead, now, False, RULE_WINDOW, window.why, window.until)
        return self._decision(lead, now, True, RULE_ELIGIBLE, "every rule passed")

    @staticmethod
    def _daily_block(zones: tuple[str, ...], dials: tuple[float, ...], limit: int, now: float) -> float | None:
        """``None`` when under the per-day limit at ``now``; else the first local midnight that frees a dial."""
        if sum(1 for t in dials if t >= _day_start(zones, now)) < limit:
            return None
        midnights = _next_midnights(zones, now)
        for midnight in midnights:
            if sum(1 for t in dials if t >= _day_start(zones, midnight)) < limit:
                return midnight
        return midnights[-1]  # dials dated after ``now``: look again later rather than let them pass

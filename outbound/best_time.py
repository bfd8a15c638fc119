"""The best time to call: a campaign's answer rate by hour of week in the callee's local time.

Each dial's outcome teaches :class:`BestTime` whether someone answered at that local hour of the week
(Monday 00:00-01:00 is hour 0). The score of an hour is its answer rate shrunk toward the campaign's
overall rate, itself shrunk toward ``prior_rate`` — so an hour with three dials does not outrank one with
three hundred, and a new campaign scores every hour alike. A multi-zone number is placed by its first
zone (this is ordering, not law; the calling window judges every zone). Failed dials teach nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from outbound.rules import ABANDONED, ANSWERED, BUSY, DO_NOT_CALL, MACHINE, NO_ANSWER

HOURS_OF_WEEK = 168
#: A person picked up (an abandoned call too: someone answered, no agent was free).
ANSWERED_OUTCOMES = frozenset({ANSWERED, DO_NOT_CALL, ABANDONED})
UNANSWERED_OUTCOMES = frozenset({BUSY, NO_ANSWER, MACHINE})
_UTC = zoneinfo.ZoneInfo("UTC")


def reference_zone(zones: tuple[str, ...]) -> zoneinfo.ZoneInfo:
    """The zone a number's local hour is read in: its first zone, UTC when none is known."""
    return zoneinfo.ZoneInfo(zones[0]) if zones else _UTC


def hour_of_week(at: float, zone: dt.tzinfo) -> int:
    local = dt.datetime.fromtimestamp(at, zone)
    return local.weekday() * 24 + local.hour


class BestTime:
    """Answer counts per local hour of week, and the smoothed score of each hour."""

    def __init__(self, *, prior_rate: float = 0.3, prior_weight: float = 20.0,
                 dials: list[int] | None = None, answers: list[int] | None = None) -> None:
        self.prior_rate = prior_rate
        self.prior_weight = prior_weight
        self.dials = list(dials) if dials is not None else [0] * HOURS_OF_WEEK
        self.answers = list(answers) if answers is not None else [0] * HOURS_OF_WEEK
        if len(self.dials) != HOURS_OF_WEEK or len(self.answers) != HOURS_OF_WEEK:
            raise ValueError(f"counts need one value per hour of week ({HOURS_OF_WEEK})")
        self._total_dials = sum(self.dials)
        self._total_answers = sum(self.answers)

    def learn(self, hour: int, outcome: str) -> None:
        """Count a dial that ended with ``outcome`` at local ``hour`` of the week."""
        if outcome in ANSWERED_OUTCOMES:
            self.answers[hour] += 1
            self._total_answers += 1
        elif outcome not in UNANSWERED_OUTCOMES:
            return
        self.dials[hour] += 1
        self._total_dials += 1

    def overall(self) -> float:
        return (self._total_answers + self.prior_rate * self.prior_weight) / (self._total_dials + self.prior_weight)

    def score(self, hour: int) -> float:
        """The smoothed answer rate at local ``hour`` of the week, 0..1."""
        return (self.answers[hour] + self.overall() * self.prior_weight) / (self.dials[hour] + self.prior_weight)

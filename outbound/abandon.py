"""Abandoned-call rates over rolling windows, by both legal formulas (pure; times are epoch seconds).

- US (TSR/FCC): abandoned calls / calls answered by a live person, per campaign over a rolling 30 days.
- UK (Ofcom): over 24 hours, with answering-machine detection's false positives estimated in:
  ``(abandoned + fp * amd_machines) / (live + fp * amd_machines)``, where ``fp`` is the share of calls AMD called
  machines that were really people (a reasoned estimate the campaign sets).

Counts are kept in one-minute buckets so a month of traffic is at most 43,200 small entries. A ledger made
after a restart (or when a campaign turns predictive) learns the windows' past from the stored outcomes of the
campaign's dials (:meth:`AbandonLedger.replay`), so the rolling 30 days are those of the campaign, not of the
process.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable

from outbound.rules import ABANDONED, ANSWERED, DO_NOT_CALL, MACHINE

US_WINDOW = 30 * 86400.0
OFCOM_WINDOW = 86400.0
BUCKET = 60.0
US, OFCOM = "us", "ofcom"
FORMULAS = (US, OFCOM)
#: Stored outcomes of a dial a person answered: an agent talked to them (however they disposed of the call), or
#: nobody was free (abandoned). The denominator of both formulas; the reports count contacts by it too.
LIVE_OUTCOMES = frozenset({ANSWERED, DO_NOT_CALL, ABANDONED})


@dataclasses.dataclass(slots=True)
class Counts:
    """Live answers (connected or abandoned), abandoned ones, and calls AMD judged machines."""

    live: int = 0
    abandoned: int = 0
    machines: int = 0

    def add(self, other: Counts, sign: int = 1) -> None:
        self.live += sign * other.live
        self.abandoned += sign * other.abandoned
        self.machines += sign * other.machines


def us_rate(counts: Counts) -> float:
    return counts.abandoned / counts.live if counts.live else 0.0


def ofcom_rate(counts: Counts, false_positive: float) -> float:
    guessed = false_positive * counts.machines
    denominator = counts.live + guessed
    return (counts.abandoned + guessed) / denominator if denominator else 0.0


class _Window:
    def __init__(self, span: float) -> None:
        self.span = span
        self.total = Counts()
        self.buckets: collections.deque[tuple[float, Counts]] = collections.deque()

    def note(self, at: float, live: int, abandoned: int, machines: int) -> None:
        start = at - at % BUCKET
        if not self.buckets or self.buckets[-1][0] != start:
            self.buckets.append((start, Counts()))
        bucket = self.buckets[-1][1]
        change = Counts(live, abandoned, machines)
        bucket.add(change)
        self.total.add(change)

    def expire(self, now: float) -> Counts:
        while self.buckets and self.buckets[0][0] + BUCKET <= now - self.span:
            self.total.add(self.buckets.popleft()[1], -1)
        return self.total


class AbandonLedger:
    """One campaign's live answers, abandons and AMD machines; :meth:`rate` by either formula."""

    def __init__(self, *, false_positive: float = 0.0) -> None:
        if not 0.0 <= false_positive < 1.0:
            raise ValueError("the AMD false-positive share must be in [0, 1)")
        self.false_positive = false_positive
        self._windows = {US: _Window(US_WINDOW), OFCOM: _Window(OFCOM_WINDOW)}

    def live(self, at: float, *, abandoned: bool) -> None:
        """A person answered at ``at``; ``abandoned`` when no agent took them within the limit."""
        for window in self._windows.values():
            window.note(at, 1, int(abandoned), 0)

    def machine(self, at: float) -> None:
        """AMD judged the answer a machine."""
        for window in self._windows.values():
            window.note(at, 0, 0, 1)

    def replay(self, outcomes: Iterable[tuple[float, str]]) -> None:
        """Count stored outcomes of the campaign's dials, ``(when, outcome)`` oldest first (see the module doc)."""
        for at, outcome in outcomes:
            live, abandoned, machine = outcome in LIVE_OUTCOMES, outcome == ABANDONED, outcome == MACHINE
            if live or machine:
                for window in self._windows.values():
                    window.note(at, int(live), int(abandoned), int(machine))

    def counts(self, formula: str, now: float) -> Counts:
        return self._windows[formula].expire(now)

    def rate(self, formula: str, now: float) -> float:
        counts = self.counts(formula, now)
        return us_rate(counts) if formula == US else ofcom_rate(counts, self.false_positive)

    def budget(self, formula: str, now: float) -> tuple[float, float]:
        """(numerator, denominator) of ``formula`` now: what a pacer adds expected abandons and lives to."""
        counts = self.counts(formula, now)
        guessed = self.false_positive * counts.machines if formula == OFCOM else 0.0
        return counts.abandoned + guessed, counts.live + guessed

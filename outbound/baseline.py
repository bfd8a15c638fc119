"""The naive hopper: every selection decides every lead again and takes the best. No indexes, no gates.

It is the yardstick of ``callcenter bench hopper`` (VICIdial's way, a full filter over the list for each
refill, in miniature) and an oracle for the hopper's tests: same rules, same order, by brute force.
"""

from __future__ import annotations

from collections.abc import Iterable

from bus.clock import Clock
from outbound.best_time import BestTime, hour_of_week, reference_zone
from outbound.eligibility import Eligibility
from outbound.leads import Lead, LeadHistory


class NaiveHopper:
    """Holds leads and histories; :meth:`next` scans them all."""

    def __init__(self, eligibility: Eligibility, clock: Clock, leads: Iterable[tuple[Lead, LeadHistory]], *,
                 best_time: BestTime | None = None) -> None:
        self.eligibility = eligibility
        self.best_time = best_time if best_time is not None else BestTime()
        self._clock = clock
        self.leads = {lead.id: (lead, history) for lead, history in leads}
        self.out: dict[int, float] = {}  # lead id -> when it was released

    def rank(self, lead: Lead, history: LeadHistory, now: float) -> tuple[float, ...]:
        """Smaller first: call-backs due by due time, then tier, best-time score and age."""
        if history.callback_at is not None:
            return (0, 0, 0.0, history.callback_at, lead.id)
        score = self.best_time.score(hour_of_week(now, reference_zone(lead.number.time_zones)))
        age = -lead.created_at if self.eligibility.rules.newest_first else lead.created_at
        return (1, -lead.tier_priority, -score, age, lead.id)

    def next(self) -> Lead | None:
        now = self._clock()
        best: tuple[tuple[float, ...], Lead] | None = None
        for lead_id, (lead, history) in self.leads.items():
            if lead_id in self.out or not self.eligibility.decide(lead, history, now).released:
                continue
            rank = self.rank(lead, history, now)
            if best is None or rank < best[0]:
                best = (rank, lead)
        if best is None:
            return None
        self.out[best[1].id] = now
        return best[1]

    def outcome(self, lead_id: int, outcome: str, *, callback_at: float | None = None) -> None:
        """The dial of a released lead ended now with ``outcome``."""
        lead, history = self.leads[lead_id]
        dialed_at = self.out.pop(lead_id)
        self.best_time.learn(hour_of_week(dialed_at, reference_zone(lead.number.time_zones)), outcome)
        self.leads[lead_id] = (lead, history.after(outcome, dialed_at=dialed_at, at=self._clock(),
                                                   callback_at=callback_at,
                                                   keep=self.eligibility.rules.max_attempts_per_day))

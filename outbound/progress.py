"""How far a campaign has got: every lead decided now and counted (pure; the service feeds it stored leads).

- **dialable now**: every rule passes;
- **later today**: the deciding rule stops blocking before the end of the site's day (a retry delay, a
  call-back, a calling window that opens this evening);
- **later**: after today;
- **never**: no time will do it (on a do-not-call list, out of attempts, no retry after the last outcome,
  a number whose calling window never opens), with the count per rule.

Penetration is the share of leads dialled at least once. The expected completion assumes every lead that
is not "never" needs one more dial, at the pace of the last hour's releases (none: unknown).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from typing import Any

from outbound.eligibility import Eligibility
from outbound.leads import Lead, LeadHistory

HOUR = 3600.0


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    """A campaign's leads counted at ``at``; see the module doc."""

    at: float
    total: int = 0
    dialable_now: int = 0
    later_today: int = 0
    later: int = 0
    never: int = 0
    never_by_reason: dict[str, int] = dataclasses.field(default_factory=dict)
    waiting_by_reason: dict[str, int] = dataclasses.field(default_factory=dict)
    dialled: int = 0
    dials_last_hour: int = 0

    @property
    def penetration(self) -> float:
        return self.dialled / self.total if self.total else 0.0

    @property
    def expected_completion(self) -> float | None:
        remaining = self.dialable_now + self.later_today + self.later
        if remaining == 0:
            return self.at
        if self.dials_last_hour == 0:
            return None
        return self.at + remaining / self.dials_last_hour * HOUR

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "penetration": self.penetration,
                "expected_completion": self.expected_completion}


def tally(leads: Iterable[tuple[Lead, LeadHistory]], eligibility: Eligibility, *, now: float, day_end: float,
          dials_last_hour: int = 0) -> Progress:
    """Decide every lead at ``now`` and count them; ``day_end`` is when the site's day ends."""
    total = dialable = today = later = dialled = 0
    never: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    for lead, history in leads:
        total += 1
        if history.attempts:
            dialled += 1
        decision = eligibility.decide(lead, history, now)
        if decision.released:
            dialable += 1
        elif decision.next_at is None:
            never[decision.rule] += 1
        else:
            waiting[decision.rule] += 1
            if decision.next_at < day_end:
                today += 1
            else:
                later += 1
    return Progress(at=now, total=total, dialable_now=dialable, later_today=today, later=later,
                    never=sum(never.values()), never_by_reason=dict(never), waiting_by_reason=dict(waiting),
                    dialled=dialled, dials_last_hour=dials_last_hour)

"""A campaign's lead and its dialling history: plain values an importer and a database can fill.

:class:`Lead` does not change while the lead is in a campaign. :class:`LeadHistory` is replaced after
every dial (:meth:`LeadHistory.after`); the hopper returns the new one so the storage edge can save it,
and a hopper restarted from storage starts from the saved histories.
"""

from __future__ import annotations

import dataclasses

from outbound.numbers import DialNumber


@dataclasses.dataclass(frozen=True, slots=True)
class Lead:
    """A number to call for a campaign.

    ``tier_priority`` orders customers, larger first: fill it with ``crm_core.tiers.queue_priority`` of the
    customer's tier (VIP highest; unknown customers 0). ``created_at`` is when the lead was imported: its age.
    """

    id: int
    campaign: str
    number: DialNumber
    created_at: float
    tier_priority: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class LeadHistory:
    """What happened to a lead so far.

    ``recent_dials``: when the latest dials started, oldest first, at most as many as the per-day limit
    needs. ``callback_at``: a call-back the customer asked for (cleared by the next dial's outcome).
    """

    attempts: int = 0
    last_outcome: str | None = None
    last_outcome_at: float | None = None
    recent_dials: tuple[float, ...] = ()
    callback_at: float | None = None

    def after(self, outcome: str, *, dialed_at: float, at: float, callback_at: float | None, keep: int
              ) -> LeadHistory:
        """The history once a dial started at ``dialed_at`` ended with ``outcome`` at ``at``."""
        return LeadHistory(
            attempts=self.attempts + 1, last_outcome=outcome, last_outcome_at=at,
            recent_dials=(*self.recent_dials, dialed_at)[-keep:], callback_at=callback_at,
        )

"""When each number was last dialled, by which campaign: the cross-campaign spacing rule's memory.

Shared by every campaign's hopper: a hopper notes a number here the moment it releases it, and the
eligibility rule keeps other campaigns off the number for ``RuleSet.other_campaign_gap``. A dial counts
as a contact whatever its outcome (the conservative reading of "contacted"). The storage edge may fill
it at start-up from recent dials; :meth:`ContactLog.forget_before` keeps it to the numbers that matter.
"""

from __future__ import annotations


class ContactLog:
    """The latest dial time of each number per campaign."""

    def __init__(self) -> None:
        self._dials: dict[int, dict[str, float]] = {}

    def dialed(self, digits: int, campaign: str, at: float) -> None:
        by_campaign = self._dials.setdefault(digits, {})
        by_campaign[campaign] = max(at, by_campaign.get(campaign, at))

    def last_by_other(self, digits: int, campaign: str) -> tuple[float, str] | None:
        """The latest dial of ``digits`` by a campaign other than ``campaign``: (when, which campaign)."""
        by_campaign = self._dials.get(digits)
        if not by_campaign:
            return None
        latest: tuple[float, str] | None = None
        for other, at in by_campaign.items():
            if other != campaign and (latest is None or at > latest[0]):
                latest = (at, other)
        return latest

    def forget_before(self, cutoff: float) -> None:
        """Drop dials older than ``cutoff`` (older than the largest spacing in force can never matter)."""
        for digits in list(self._dials):
            kept = {c: at for c, at in self._dials[digits].items() if at >= cutoff}
            if kept:
                self._dials[digits] = kept
            else:
                del self._dials[digits]

    def __len__(self) -> int:
        return len(self._dials)

"""Who calls and why: what the IVR learned about a caller, carried as one value with the call to its queue,
to the agent's screen and into the records."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

#: The ``ivr_data`` keys of a campaign's call: the dialer sets them on the call's :class:`CallerData`, the
#: agent's pop shows the lead and the campaign's dispositions from them, and the interaction row keeps them.
CAMPAIGN_ID_KEY = "campaign_id"
LEAD_ID_KEY = "lead_id"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CallerData:
    """``ani`` is the caller's number (None when withheld or unknown; an empty one is stored as None);
    ``customer_id``, ``customer_code`` and ``tier`` name the customer the IVR found, ``intent`` what the
    call is about, ``ivr_data`` the values the IVR collected and set, and ``unidentified`` says the IVR
    looked for the customer and found none."""

    ani: str | None = None
    customer_id: str | None = None
    customer_code: str | None = None
    tier: str | None = None
    intent: str | None = None
    ivr_data: tuple[tuple[str, str], ...] = ()
    unidentified: bool = False

    def __post_init__(self) -> None:
        if self.ani == "":
            object.__setattr__(self, "ani", None)

    def campaign_lead(self) -> tuple[int, int] | None:
        """(campaign id, lead id) of a campaign's call, from :data:`CAMPAIGN_ID_KEY` and :data:`LEAD_ID_KEY`."""
        data = dict(self.ivr_data)
        campaign, lead = data.get(CAMPAIGN_ID_KEY, ""), data.get(LEAD_ID_KEY, "")
        if campaign.isascii() and campaign.isdigit() and lead.isascii() and lead.isdigit():
            return int(campaign), int(lead)
        return None

    def to_record(self) -> dict[str, Any]:
        """The fields as a flat JSON-able dict (the keys records carried before the fields were one value)."""
        return {
            "ani": self.ani, "customer_id": self.customer_id, "customer_code": self.customer_code,
            "tier": self.tier, "intent": self.intent, "ivr_data": [list(pair) for pair in self.ivr_data],
            "unidentified": self.unidentified,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CallerData:
        """Read the fields of :meth:`to_record` from ``record``; other keys are ignored, missing ones default."""
        return cls(
            ani=record.get("ani"), customer_id=record.get("customer_id"),
            customer_code=record.get("customer_code"), tier=record.get("tier"), intent=record.get("intent"),
            ivr_data=tuple((str(k), str(v)) for k, v in record.get("ivr_data") or ()),
            unidentified=bool(record.get("unidentified", False)),
        )
